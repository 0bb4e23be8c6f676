"""Mock servers of spec versions: start, call (validated, answered from examples or
schemas, traced), stop; and the Postman collection of a spec version."""
