"""The caller's address, one answer for the audit log, sign-in lockout and the API's limits.

Here in core (the lowest layer) so the auditor can use it; accounts' lockout and throttle
use the same function.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The caller's address, for sign-in lockout (AXES_CLIENT_IP_CALLABLE), the API's
    limits and the audit log. Behind TRUSTED_PROXY_COUNT proxies (nginx, and perhaps a
    load balancer in front of it), each appending the address it saw to X-Forwarded-For,
    the client's is that many entries from the right: everything left of it the client
    could have written itself. Fewer entries than proxies (a request that skipped the outer one) gives the
    leftmost, which a proxy wrote. With no proxy trusted (the default without
    BEHIND_PROXY=1), or an entry that is not an address, the connection's own."""
    remote = str(request.META.get("REMOTE_ADDR") or "")[:45]
    count = settings.TRUSTED_PROXY_COUNT
    if count < 1:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    candidate = entries[-count] if len(entries) >= count else entries[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
