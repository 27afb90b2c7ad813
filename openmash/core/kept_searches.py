"""What someone searched for, kept in their own server-side session under a random id.

A search for a person (Find a child, subject access, the access log) is POSTed, and its
terms are kept in the signed-in user's session under a random id for a short time; the
browser is then sent to the results' address, which holds only that id. So what was
typed (a child's name, a date of birth, an NHS number) never reaches a browser's history
or a server's or proxy's access log. An expired or unknown id, or another user's (their
session does not hold it), finds nothing.
"""

import secrets
import time
from dataclasses import dataclass

from django.http import HttpRequest

SEARCH_MINUTES = 30
SEARCHES_KEPT = 10


@dataclass(frozen=True)
class KeptSearches:
    """One kind of search's terms, kept under `session_key` for `minutes` (the newest
    `kept` of them)."""

    session_key: str
    minutes: int = SEARCH_MINUTES
    kept: int = SEARCHES_KEPT

    def _in_date(self, request: HttpRequest) -> dict[str, dict[str, object]]:
        """The user's searches of this kind still in date, oldest first."""
        stored = request.session.get(self.session_key) or {}
        now = time.time()
        return {
            search_id: search
            for search_id, search in stored.items()
            if isinstance(search, dict) and now - float(search.get("at", 0)) < self.minutes * 60
        }

    def keep(self, request: HttpRequest, terms: dict[str, str]) -> str:
        """Keep the terms; the random id to find them by."""
        searches = self._in_date(request)
        search_id = secrets.token_urlsafe(12)
        searches[search_id] = {"terms": terms, "at": time.time()}
        request.session[self.session_key] = dict(list(searches.items())[-self.kept :])
        return search_id

    def terms(self, request: HttpRequest, search_id: str) -> dict[str, str] | None:
        """The terms kept under the id, or None if expired, unknown or another user's."""
        search = self._in_date(request).get(search_id)
        if search is None:
            return None
        terms = search.get("terms")
        return terms if isinstance(terms, dict) else None
