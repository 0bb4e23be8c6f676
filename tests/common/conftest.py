"""The kit is tested through a real service: production's fixtures (tokens, a client on
the service, the factory of plants and items) serve here too."""

from tests.production.conftest import factory, prod, tokens

__all__ = ["factory", "prod", "tokens"]
