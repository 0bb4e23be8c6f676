"""The kit is tested through a real service: production's fixtures (a client on the
service, the factory of plants and items) serve here too; `tokens` is tests/fixtures'."""

from tests.production.conftest import factory, prod

__all__ = ["factory", "prod"]
