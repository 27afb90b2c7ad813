"""A person's signed-in sessions: their absolute lifetime, and the list of them a person
sees and ends (issue 14, item 4; docs/adr/0027-account-lifecycle.md).

Everything starts from Django's user_logged_in and user_logged_out signals, so every way
of signing in (the sign-in page, the administration's, a single sign-on provider) is
covered without knowing about it. At sign-in the session is given its sign-in time (the
absolute lifetime counts from it) and a UserSession row, whose id the session keeps. The
middleware (openmash/accounts/middleware.py) ends a session past SESSION_MAX_HOURS, and
refreshes the row's last-seen time at most once a minute (the time it last wrote is kept
in the session, so a request in between writes nothing more) and its session key when
Django has changed the key (a password change does).

Nothing here logs: an address or a browser is personal data, and only the shortened
address and a summary of the browser are stored.
"""

import ipaddress
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from openmash.accounts.models import User, UserSession
from openmash.core.audit import Actor, audit_record
from openmash.core.client_address import client_address
from openmash.core.models import AuditAction

# What the session itself keeps (Django's session store, server-side).
SIGNED_IN_AT = "openmash_signed_in_at"  # seconds since the epoch
SESSION_RECORD = "openmash_session_record"  # the UserSession's id
RECORDED_KEY = "openmash_session_key"  # the session key the row holds
LAST_SEEN = "openmash_last_seen"  # seconds since the epoch, as the row holds it
# The row's last-seen time is written at most this often per session.
SEEN_EVERY = timedelta(minutes=1)

DATABASE_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def browser_summary(user_agent: str) -> str:
    """ "Chrome on Windows", "Safari on iPhone": enough for a person to recognise their own
    device, and no more (the full text can single a machine out)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


def partial_address(address: str) -> str:
    """The network an address is in, not the machine: 203.0.x.x, 2001:db8:…"""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if isinstance(parsed, ipaddress.IPv4Address):
        first, second = str(parsed).split(".")[:2]
        return f"{first}.{second}.x.x"
    groups = parsed.exploded.split(":")[:2]
    return ":".join(group.lstrip("0") or "0" for group in groups) + ":…"


def _store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key=session_key)
    return store


def _lifetime() -> timedelta:
    return timedelta(hours=settings.SESSION_MAX_HOURS)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.get_current_timezone())


@receiver(user_logged_in)
def session_record_sign_in(
    sender: Any, request: HttpRequest | None = None, user: User | None = None, **kwargs: Any
) -> None:
    """At every sign-in: the session's sign-in time, and its row in the person's list."""
    if request is None or user is None or not hasattr(request, "session"):
        return
    now = timezone.now()
    session = request.session
    session[SIGNED_IN_AT] = now.timestamp()
    session[LAST_SEEN] = now.timestamp()
    previous = session.pop(SESSION_RECORD, None)
    if previous is not None:
        # Signing in again in the same browser (Django kept the session's data).
        UserSession.objects.filter(pk=previous).delete()
    if session.session_key is None:
        # Django gives a session its key when it is first saved.
        session.save()
    key = session.session_key
    if key is None:
        return
    record, _ = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "signed_in_at": now,
            "last_seen_at": now,
            "address": partial_address(client_address(request)),
            "browser": browser_summary(str(request.META.get("HTTP_USER_AGENT", ""))[:500]),
        },
    )
    session[SESSION_RECORD] = record.pk
    session[RECORDED_KEY] = key


@receiver(user_logged_out)
def session_forget_sign_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """At every sign-out: the session leaves the person's list."""
    if request is None or not hasattr(request, "session"):
        return
    record = request.session.get(SESSION_RECORD)
    key = request.session.session_key
    match = Q(pk=record) if record is not None else Q()
    if key:
        match |= Q(session_key=key)
    if match:
        UserSession.objects.filter(match).delete()


def session_outlived(request: HttpRequest, *, now: datetime) -> bool:
    """Whether a signed-in session is older than SESSION_MAX_HOURS. A signed-in session
    with no sign-in time (begun before OpenMASH recorded it) counts from now."""
    session = request.session
    if SESSION_KEY not in session:
        return False
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is None:
        session[SIGNED_IN_AT] = now.timestamp()
        return False
    return now - _moment(float(signed_in_at)) >= _lifetime()


def session_seen(request: HttpRequest, *, now: datetime) -> None:
    """After a signed-in request: refresh the session's row if its last-seen time is a
    minute old or Django has given the session a new key; make it if it is missing (a
    session begun before OpenMASH kept the list)."""
    session = request.session
    if SESSION_KEY not in session or session.session_key is None:
        return
    key = session.session_key
    seen = session.get(LAST_SEEN)
    record = session.get(SESSION_RECORD)
    if (
        record is not None
        and session.get(RECORDED_KEY) == key
        and seen is not None
        and now - _moment(float(seen)) < SEEN_EVERY
    ):
        return
    updated = (
        UserSession.objects.filter(pk=record).update(session_key=key, last_seen_at=now)
        if record is not None
        else 0
    )
    if not updated:
        user = request.user
        if not user.is_authenticated:
            return
        signed_in_at = session.get(SIGNED_IN_AT)
        row, _ = UserSession.objects.update_or_create(
            session_key=key,
            defaults={
                "user": user,
                "signed_in_at": _moment(float(signed_in_at)) if signed_in_at else now,
                "last_seen_at": now,
                "address": partial_address(client_address(request)),
                "browser": browser_summary(str(request.META.get("HTTP_USER_AGENT", ""))[:500]),
            },
        )
        session[SESSION_RECORD] = row.pk
    session[RECORDED_KEY] = key
    session[LAST_SEEN] = now.timestamp()


def _still_open(*, now: datetime) -> Q:
    # A row's last-seen time may be up to SEEN_EVERY behind the session's own activity.
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES) + SEEN_EVERY
    return Q(last_seen_at__gt=now - idle, signed_in_at__gt=now - _lifetime())


def user_sessions_active(*, user: User, now: datetime) -> list[UserSession]:
    """The person's sessions that are still open, most recently used first. A row whose
    session has gone from Django's store (it expired, or ended in a way no signal reports)
    is removed rather than shown."""
    rows = list(user.sessions.filter(_still_open(now=now)).order_by("-last_seen_at", "-pk")[:50])
    live = _live_keys(rows, now=now)
    gone = [row.pk for row in rows if row.session_key not in live]
    if gone:
        UserSession.objects.filter(pk__in=gone).delete()
    return [row for row in rows if row.pk not in gone]


def _live_keys(rows: list[UserSession], *, now: datetime) -> set[str]:
    """Which of the rows' sessions Django's store still holds, unexpired: one query with
    the database engines, one look-up a session with any other."""
    keys = [row.session_key for row in rows]
    if settings.SESSION_ENGINE in DATABASE_ENGINES:
        return set(
            Session.objects.filter(session_key__in=keys, expire_date__gt=now).values_list(
                "session_key", flat=True
            )
        )
    return {key for key in keys if _store(key).exists(key)}


def session_current_record(request: HttpRequest) -> int | None:
    record = request.session.get(SESSION_RECORD)
    return int(record) if record is not None else None


def _end(rows: QuerySet[UserSession]) -> list[int]:
    """Ends each session in Django's store and removes its row; the ids of those ended."""
    ended = []
    for row in rows.select_for_update():
        _store(row.session_key).delete(row.session_key)
        ended.append(row.pk)
    UserSession.objects.filter(pk__in=ended).delete()
    return ended


@transaction.atomic
def user_session_end(*, actor: Actor, user: User, session_id: int) -> bool:
    """Signs `user` out of one of their own sessions (not the one `actor` acts from: that
    is signing out). False if there is no such session of theirs. Audited."""
    ended = _end(UserSession.objects.filter(pk=session_id, user=user))
    if ended:
        audit_record(
            actor=actor,
            action=AuditAction.SIGN_OUT,
            object_type="user",
            object_id=user.pk,
            detail={"sessions_ended": 1, "by": "the user, from another session"},
        )
    return bool(ended)


@transaction.atomic
def user_sessions_end_others(
    *, actor: Actor, user: User, keep: int | None, reason: str = ""
) -> int:
    """Signs `user` out of every session but the one whose row is `keep` (None: every
    session), and says why in the audit event (`reason`). Returns how many were ended;
    audited when any were. The row, not the session key: Django may have just given the
    kept session a new key (a password change does) that its row does not hold yet."""
    rows = UserSession.objects.filter(user=user)
    if keep is not None:
        rows = rows.exclude(pk=keep)
    ended = _end(rows)
    if ended:
        audit_record(
            actor=actor,
            action=AuditAction.SIGN_OUT,
            object_type="user",
            object_id=user.pk,
            detail={"sessions_ended": len(ended), **({"reason": reason} if reason else {})},
        )
    return len(ended)


def sessions_forget_ended(*, now: datetime) -> int:
    """Removes the rows of sessions that have expired (idle too long, or past their
    lifetime), and Django's own expired sessions. Safe to run on several machines at once:
    each deletes what is there. Returns how many rows were removed."""
    removed, _ = UserSession.objects.exclude(_still_open(now=now)).delete()
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return removed
