"""A short-lived memory of verified tokens, so that a request need not ask the database.

Entries are keyed by the token's keyed hash (never the plaintext) and live at most
``ttl`` seconds (``IPEVAL_TOKEN_CACHE_SECONDS``, default 5). Revoking a token through this
process forgets it at once; a revocation made by another process (the CLI, another worker)
is honoured at the latest ``ttl`` seconds later. Failed verifications are never cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.auth.service import Principal

MAX_ENTRIES = 4096


class TokenCache:
    """Verified principals by token hash, for ``ttl`` seconds, at most ``max_entries``."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, token_hash: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[token_hash]
                return None
            return entry[1]

    def put(self, token_hash: str, principal: Principal, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries[token_hash] = (time.monotonic() + ttl, principal)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, token_id: int) -> None:
        """Drop every entry of token ``token_id`` (it was revoked)."""
        with self._lock:
            for key in [k for k, (_, p) in self._entries.items() if p.id == token_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


#: The process's cache (every app in the process shares it; keys include the secret key).
tokens = TokenCache()
