"""The token cache: bounded in time and size; a revocation in this process forgets at once."""

import time

from app.auth import service as auth_service
from app.auth.cache import TokenCache
from app.auth.models import Role
from app.auth.service import Principal

P = Principal(id=7, role=Role.admin)


def test_an_entry_lives_at_most_its_ttl():
    cache = TokenCache()
    cache.put("h", P, ttl=0.05)
    assert cache.get("h") == P
    time.sleep(0.06)
    assert cache.get("h") is None
    cache.put("h", P, ttl=0)  # 0 means: never cache
    assert cache.get("h") is None


def test_the_oldest_entries_go_past_the_size_bound():
    cache = TokenCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, P, ttl=60)
    assert [cache.get(k) for k in ("a", "b", "c")] == [None, P, P]


def test_revoking_forgets_the_token_before_the_cache_expires(session, settings):
    token, plaintext = auth_service.create_token(session, settings, role="admin")
    principal = auth_service.authenticate(session, settings, plaintext)
    assert principal is not None
    auth_service.remember(settings, plaintext, principal)
    assert auth_service.cached_principal(settings, plaintext) == principal
    auth_service.revoke(session, token.id)
    assert auth_service.cached_principal(settings, plaintext) is None
    assert auth_service.authenticate(session, settings, plaintext) is None
