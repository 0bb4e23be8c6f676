"""The shared kit: no business logic, no service imports."""
