"""Refused reads of a record's address, in the audit log (issue 14, ADR 0020).

Kept apart from the middleware so that a test, or a view that refuses in its own way,
can record one the same way.
"""

import logging

from django.db import DatabaseError, transaction
from django.http import HttpRequest

from openmash.core.audit import Actor, audit_record
from openmash.core.client_address import client_address
from openmash.core.models import AuditAction

logger = logging.getLogger(__name__)


def _record_address(request: HttpRequest) -> tuple[str, dict[str, str]] | None:
    """The page's name and the ids in its address, or None when it names no record."""
    match = getattr(request, "resolver_match", None)
    if match is None or not (match.kwargs or match.args):
        return None
    view = match.view_name or match.url_name or request.path
    ids = {str(key): _printable(value) for key, value in match.kwargs.items()}
    ids.update({str(index): _printable(value) for index, value in enumerate(match.args)})
    return view, ids


def _printable(value: object) -> str:
    """An id from the address as it can be stored: at most 64 characters, with control
    characters (a NUL, which PostgreSQL's text cannot hold) replaced by "?"."""
    return "".join(c if c.isprintable() else "?" for c in str(value)[:64])


def refused_read_record(request: HttpRequest, status: int) -> None:
    """Audit a 403 or 404 answered to a signed-in user or an API token for an address that
    names a record. Never raises: the refusal is answered whether or not it is recorded."""
    address = _record_address(request)
    if address is None:
        return
    user = getattr(request, "user", None)
    token = getattr(request, "auth", None)
    signed_in = user is not None and user.is_authenticated
    if not signed_in and token is None:
        return
    view, ids = address
    actor = Actor(
        user=user if signed_in else None,
        token=token,
        request_id=getattr(request, "request_id", ""),
        ip_address=client_address(request) or None,
    )
    try:
        # A savepoint: a failure here must not break the request's own transaction.
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.READ_REFUSED,
                object_type=view[:40],
                object_id=next(iter(ids.values()), ""),
                detail={"status": status, "view": view, "ids": ids},
            )
    except DatabaseError:
        logger.exception("Could not record a refused read of %s", view)
