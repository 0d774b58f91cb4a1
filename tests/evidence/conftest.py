"""Panel tests use the API fixtures (the app on the rolled-back session, one token per role)."""

from tests.api.conftest import app, client, tokens

__all__ = ["app", "client", "tokens"]
