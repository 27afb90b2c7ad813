"""Rate limits for the JSON API (issue 14, ADR 0020), counted in Django's cache; and for
asking for a link to set a new password (at the end).

Two limits, each a fixed window:
- each token may make API_TOKEN_REQUESTS_PER_MINUTE requests a minute;
- each address may send API_BAD_TOKEN_LIMIT requests with a wrong token in
  API_BAD_TOKEN_MINUTES; past that its wrong tokens are answered 429, not 401, until the
  window ends. A right token from that address still works (its own limit applies): the
  guesser may share an address with an agency's system. The address is
  openmash.core.client_address's, the one the audit log and sign-in lockout use.
Past either, the API answers 429 with Retry-After. With several app servers the cache
must be shared (CACHE_URL=db or redis://...) for the limits to hold across them; with
the database cache two servers counting the same moment may each let one request more
through (its increment is a read and a write), never many.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class ApiThrottled(Exception):
    """Too many requests: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = max(1, retry_after)
        self.reason = reason


def _window(key: str, seconds: int, now: float) -> tuple[str, int]:
    index = int(now // seconds)
    return f"openmash:throttle:{key}:{index}", seconds - int(now % seconds)


def _increment(key: str, seconds: int) -> int:
    # add() is a no-op when the key is there; incr() fails only if it expired in between.
    cache.add(key, 0, timeout=seconds + 5)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=seconds + 5)
        return 1


def api_bad_token_count(*, address: str, now: float | None = None) -> None:
    """Counts one wrong token from `address`; raises ApiThrottled once past the limit."""
    limit = settings.API_BAD_TOKEN_LIMIT
    if not limit:
        return
    seconds = settings.API_BAD_TOKEN_MINUTES * 60
    key, retry_after = _window(f"bad:{address}", seconds, now or time.time())
    if _increment(key, seconds) > limit:
        logger.warning("API: wrong tokens from one address past the limit; refusing it")
        raise ApiThrottled(retry_after, "Too many requests with a wrong token from this address.")


def api_token_count(*, token_id: int, now: float | None = None) -> None:
    """Counts one request by token `token_id`; raises ApiThrottled once past its limit."""
    limit = settings.API_TOKEN_REQUESTS_PER_MINUTE
    if not limit:
        return
    key, retry_after = _window(f"token:{token_id}", 60, now or time.time())
    if _increment(key, 60) > limit:
        logger.warning("API: token %s past its rate limit", token_id)
        raise ApiThrottled(retry_after, "Too many requests for this token: slow down.")


# Asking for a link to set a new password (openmash/accounts/views.py): at most
# PASSWORD_RESET_EMAILS_PER_HOUR emails to one account in an hour, so the form cannot be
# used to flood someone's inbox (the page answers the same either way: it never says
# whether an address has an account), and PASSWORD_RESET_REQUESTS_PER_HOUR requests from
# one address, answered 429 past that.
PASSWORD_RESET_EMAILS_PER_HOUR = 3
PASSWORD_RESET_REQUESTS_PER_HOUR = 20


def password_reset_request_count(*, address: str, now: float | None = None) -> int:
    """Counts one request for a link from `address`: 0 while under the limit, else how
    many seconds until it may ask again."""
    key, retry_after = _window(f"reset-address:{address}", 3600, now or time.time())
    if _increment(key, 3600) > PASSWORD_RESET_REQUESTS_PER_HOUR:
        logger.warning("Password reset: requests from one address past the limit")
        return max(1, retry_after)
    return 0


def password_reset_email_allowed(*, user_id: int, now: float | None = None) -> bool:
    """Counts one email to account `user_id`; False once past the hour's limit."""
    key, _ = _window(f"reset-user:{user_id}", 3600, now or time.time())
    return _increment(key, 3600) <= PASSWORD_RESET_EMAILS_PER_HOUR
