"""Sign-in lockout (issue 14, ADR 0020), on django-axes' database handler.

django-axes counts failed sign-ins by username and by address, against one limit. An
address is shared by many honest people (a council's or a school's office behind one
address), so it gets a higher limit: the address's failures are scaled so that
SIGN_IN_ADDRESS_FAILURES of them weigh as much as SIGN_IN_ACCOUNT_FAILURES of one
account's. Counts live in the database, so every app server sees the same ones.

A failed single sign-on callback (openmash/accounts/sso/views.py) names no username: it
counts against its address only. The provider locks its own accounts; and django-axes
records such failures with no username, which must not add up into one "account" that
every failed callback from everywhere counts against.

A successful sign-in forgets only that account's failures from that address. django-axes'
own reset deletes every record matching the username *or* the address, which would let
anyone with an account of their own wipe the failures recorded from their address
against every other account (and the address's own count) just by signing in between
guesses.
"""

import math
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.dispatch import receiver

from openmash.accounts.models import User
from openmash.core.audit import Actor, audit_record
from openmash.core.client_address import client_address
from openmash.core.models import AuditAction


class SignInLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        by_username, by_address = self.get_user_attempts(request, credentials)
        if get_client_username(request, credentials):
            account = by_username.aggregate(total=Sum("failures_since_start"))["total"] or 0
        else:
            account = 0
        address = by_address.aggregate(total=Sum("failures_since_start"))["total"] or 0
        scaled = math.floor(
            address * settings.SIGN_IN_ACCOUNT_FAILURES / settings.SIGN_IN_ADDRESS_FAILURES
        )
        return max(account, scaled)

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """On a successful sign-in (AXES_RESET_ON_SUCCESS): the failures of this account
        from this address, nothing else. Other accounts' failures from this address, and
        this account's from other addresses (perhaps someone else's guesses), still count
        until SIGN_IN_LOCKOUT_MINUTES pass or an administrator unlocks them."""
        username = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        if not username or not address:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=address).delete()
        return count


@receiver(user_locked_out)
def audit_lockout(
    sender: Any, request: Any = None, username: str | None = None, **kwargs: Any
) -> None:
    """Each failed sign-in past the limit is in the audit log: which account (by id, never
    the text typed), from which address."""
    if request is None:
        return
    user_id = (
        User.objects.filter(username=username).values_list("pk", flat=True).first()
        if username
        else None
    )
    audit_record(
        actor=Actor(
            system="sign-in lockout",
            request_id=getattr(request, "request_id", ""),
            ip_address=getattr(request, "axes_ip_address", None) or client_address(request) or None,
        ),
        action=AuditAction.SIGN_IN_FAILED,
        object_type="user",
        object_id=user_id,
        detail={"locked_out": True, "path": request.path},
    )
