"""Sealing the audit log, and checking it against its seals (ADR 0009).

The database refuses to change or delete audit events, but someone who can drop that
trigger could edit the log unseen. Seals make any such edit visible without slowing
the write path: writers insert events exactly as before, and `audit_seal`, run every
few minutes, hashes the events that have settled since the last seal into a new
`AuditSeal` chained to the one before. `audit_verify` recomputes every seal.

What a seal covers (the canonical form, version 1): every event with an id in
first_event_id..last_event_id, in id order, one JSON line each of
[id, occurred_at (UTC, microseconds), action, actor user id, actor token id,
object type, object id, contact id, request id, IP address, detail] with sorted keys
and no spaces. The seal's own hash is SHA-256 over the format name, the previous
seal's hash, the range, the event count, the events' hash and when it was sealed.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django_tasks import task

from openmash.core.audit import Actor, audit_record
from openmash.core.models import (
    AuditAction,
    AuditEvent,
    AuditPrune,
    AuditSeal,
    AuditVerification,
    VerificationState,
)
from openmash.core.time_text import plural

logger = logging.getLogger(__name__)

SEAL_FORMAT = "openmash-audit-seal-v1"
# The first seal's "previous hash".
GENESIS_HASH = "0" * 64
# Ids come from a sequence when a row is inserted, but transactions commit in any
# order: an event with a lower id may still be uncommitted (invisible) when a higher
# one is already readable. Sealing past it would later report it as "inserted after
# sealing", so only events at least this old are sealed. On PostgreSQL the sealer also
# waits for the oldest transaction still writing (see `_settled_before`).
SETTLE_MARGIN = timedelta(minutes=2)
# A first run on a large log is cut into seals of at most this many events, each in
# its own short transaction.
MAX_EVENTS_PER_SEAL = 50_000
# Rows fetched per round trip while streaming events.
STREAM_CHUNK = 5_000
# Any fixed number: PostgreSQL's advisory lock that lets one sealer run at a time.
SEALING_LOCK = 7_240_009
# The shortest time audit events are kept, whatever an area's retention schedule says:
# `audit_prune` refuses anything younger, and `audit_verify` reports a prune of events
# sealed less than this before it (ADR 0025).
AUDIT_MIN_RETENTION = timedelta(days=365)
# Another fixed number: one pruner at a time on PostgreSQL.
PRUNING_LOCK = 7_240_023

EVENT_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "actor_user_id",
    "actor_token_id",
    "object_type",
    "object_id",
    "contact_id",
    "request_id",
    "ip_address",
    "detail",
)
SEAL_COLUMNS = (
    "id",
    "first_event_id",
    "last_event_id",
    "event_count",
    "events_hash",
    "previous_hash",
    "seal_hash",
    "sealed_at",
)

VIEW_AUDIT_INTEGRITY = "core.view_audit_integrity"


# --- The canonical form ---------------------------------------------------------------------


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _event_line(row: tuple[Any, ...]) -> bytes:
    (
        event_id,
        occurred_at,
        action,
        actor_user_id,
        actor_token_id,
        object_type,
        object_id,
        contact_id,
        request_id,
        ip_address,
        detail,
    ) = row
    canonical = [
        event_id,
        _instant(occurred_at),
        action,
        actor_user_id,
        actor_token_id,
        object_type,
        object_id,
        contact_id,
        request_id,
        None if ip_address is None else str(ip_address),
        detail,
    ]
    return _CANONICAL_JSON.encode(canonical).encode() + b"\n"


class _EventsDigest:
    """SHA-256 over events' canonical lines, fed one event at a time."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self._hash.update(_event_line(row))
        self.count += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def seal_hash_of(
    *,
    previous_hash: str,
    first_event_id: int,
    last_event_id: int,
    event_count: int,
    events_hash: str,
    sealed_at: datetime,
) -> str:
    text = "\n".join(
        [
            SEAL_FORMAT,
            previous_hash,
            str(first_event_id),
            str(last_event_id),
            str(event_count),
            events_hash,
            _instant(sealed_at),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _events(first_event_id: int, last_event_id: int) -> Iterator[tuple[Any, ...]]:
    """The events in a range, in id order, streamed (a server-side cursor on PostgreSQL)."""
    return (
        AuditEvent.objects.filter(id__gte=first_event_id, id__lte=last_event_id)
        .order_by("id")
        .values_list(*EVENT_COLUMNS)
        .iterator(chunk_size=STREAM_CHUNK)
    )


def _streaming() -> AbstractContextManager[Any]:
    """Where to read a long stream of rows without holding up writers.

    PostgreSQL: inside a transaction, so the server-side cursor streams (outside one,
    Django declares it WITH HOLD and PostgreSQL copies the whole result first); a read
    takes no locks that writers wait for. SQLite: outside any transaction of ours, since
    OpenMASH opens SQLite transactions IMMEDIATE (the write lock), and WAL lets writers
    carry on beside a reader.
    """
    return transaction.atomic() if connection.vendor == "postgresql" else nullcontext()


def audit_events_digest(*, first_event_id: int, last_event_id: int) -> tuple[int, str]:
    """How many events a range holds now, and the SHA-256 of their canonical form."""
    digest = _EventsDigest()
    with _streaming():
        for row in _events(first_event_id, last_event_id):
            digest.add(row)
    return digest.count, digest.hexdigest()


# --- Sealing --------------------------------------------------------------------------------


def _settled_before(cutoff: datetime) -> datetime:
    """The moment before which every audit event's transaction has finished.

    SQLite has one writer at a time, so ids commit in order and the margin is only a
    courtesy. On PostgreSQL a transaction that has written something and is still
    open may hold a lower id than events already committed; nothing it wrote can be
    older than when it began, so stop before the oldest such transaction began. Only
    sessions of the sealer's own database role are visible here without the
    pg_read_all_stats role: run the sealer as the application's role.
    """
    if connection.vendor != "postgresql":
        return cutoff
    with connection.cursor() as cursor:
        # Activity is read once per transaction and kept; a caller's transaction must not
        # see an old picture.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' AND backend_xid IS NOT NULL"
        )
        (oldest_writer,) = cursor.fetchone() or (None,)
    return cutoff if oldest_writer is None else min(cutoff, oldest_writer)


def _lock_sealing() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALING_LOCK])


class _SealerRaced(Exception):
    """Another sealer added a seal while this one was hashing."""


def _latest_seal() -> AuditSeal | None:
    return AuditSeal.objects.order_by("-last_event_id").first()


def _seal_next(upper_event_id: int, max_events: int) -> AuditSeal | None:
    latest = _latest_seal()
    first = latest.last_event_id + 1 if latest else 1
    if first > upper_event_id:
        return None
    # The id of the max_events-th event from `first`, if there are that many.
    cut = list(
        AuditEvent.objects.filter(id__gte=first, id__lte=upper_event_id)
        .order_by("id")
        .values_list("id", flat=True)[max_events - 1 : max_events]
    )
    last = cut[0] if cut else upper_event_id
    # Hashed before the write transaction: settled events do not change, and the write
    # stays a single short insert (on SQLite the write lock stalls every writer).
    count, events_hash = audit_events_digest(first_event_id=first, last_event_id=last)
    previous_hash = latest.seal_hash if latest else GENESIS_HASH
    with transaction.atomic():
        _lock_sealing()
        now_latest = _latest_seal()
        if (now_latest.pk if now_latest else None) != (latest.pk if latest else None):
            raise _SealerRaced
        sealed_at = timezone.now()
        seal = AuditSeal(
            first_event_id=first,
            last_event_id=last,
            event_count=count,
            events_hash=events_hash,
            previous_hash=previous_hash,
            sealed_at=sealed_at,
            seal_hash=seal_hash_of(
                previous_hash=previous_hash,
                first_event_id=first,
                last_event_id=last,
                event_count=count,
                events_hash=events_hash,
                sealed_at=sealed_at,
            ),
        )
        seal.save()
    return seal


def audit_seal(
    *,
    now: datetime | None = None,
    settle: timedelta = SETTLE_MARGIN,
    max_events_per_seal: int = MAX_EVENTS_PER_SEAL,
) -> list[AuditSeal]:
    """Seal every audit event that has settled since the last seal; return the new seals.

    Guarantees: seals cover event ids contiguously from 1, so every event is in exactly
    one seal; an event younger than `settle` (or, on PostgreSQL, than the oldest
    transaction still writing) waits for a later run; each seal is committed on its own,
    so a long first run leaves every finished seal behind if it stops.
    Two sealers at once never fork the chain: each seal is inserted after re-reading the
    latest seal under a lock (PostgreSQL's advisory lock, SQLite's write lock), and the
    unique range and previous-hash columns refuse a fork; the loser stops quietly.
    Events are hashed outside the write transaction, so writers never wait for the
    hashing. Never changes an audit event.
    """
    cutoff = _settled_before((now or timezone.now()) - settle)
    sealed_up_to = AuditSeal.objects.aggregate(last=Max("last_event_id"))["last"] or 0
    # Only the unsealed tail is looked at (an index range on the primary key).
    upper = AuditEvent.objects.filter(id__gt=sealed_up_to, occurred_at__lt=cutoff).aggregate(
        last=Max("id")
    )["last"]
    seals: list[AuditSeal] = []
    if upper is None:
        return seals
    while True:
        try:
            seal = _seal_next(upper, max_events_per_seal)
        except (_SealerRaced, IntegrityError):
            logger.warning("Another sealer sealed the same audit events first; stopping.")
            return seals
        if seal is None:
            return seals
        logger.info(
            "Sealed audit events %s to %s (%s events) as seal %s",
            seal.first_event_id,
            seal.last_event_id,
            seal.event_count,
            seal.pk,
        )
        seals.append(seal)


# --- Removing events at the end of their retention period (ADR 0025) -------------------------


class AuditPruneRefused(Exception):
    """The events cannot be removed: too young, or their range no longer matches its seal
    (evidence of tampering is never destroyed). The message says which, without content."""


@dataclass(frozen=True)
class PrunableSeal:
    """A seal whose events are all older than the cut-off, next in line to be pruned."""

    seal: AuditSeal
    newest_event_at: datetime | None


def _lock_pruning() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PRUNING_LOCK])


def audit_prunable(*, before: datetime, limit: int = 100) -> list[PrunableSeal]:
    """The oldest seals not yet pruned whose every event occurred before `before`, in
    order, stopping at the first that has a younger event: pruning only ever removes a
    prefix of the log. Reads only (the dry run lists these)."""
    found: list[PrunableSeal] = []
    for seal in AuditSeal.objects.filter(prune__isnull=True).order_by("first_event_id")[:limit]:
        newest = AuditEvent.objects.filter(
            id__gte=seal.first_event_id, id__lte=seal.last_event_id
        ).aggregate(newest=Max("occurred_at"))["newest"]
        if (newest or seal.sealed_at) >= before:
            break
        found.append(PrunableSeal(seal=seal, newest_event_at=newest))
    return found


def audit_prune_seal(
    *, actor: Actor, seal: AuditSeal, before: datetime, reason: str, now: datetime | None = None
) -> AuditPrune | None:
    """Remove the events of one seal, whose events all occurred before `before`, keeping
    the seal; record the prune and an audit event saying so, in one transaction.

    Guarantees: never removes events younger than AUDIT_MIN_RETENTION, nor a seal's
    events before every earlier seal's (a prefix only), nor a range that no longer
    matches its seal (raises AuditPruneRefused: a tampered range is evidence). Two
    machines pruning at once remove each range once: the second finds it pruned (None).
    """
    now = now or timezone.now()
    if before > now - AUDIT_MIN_RETENTION:
        raise AuditPruneRefused("Audit events are kept for at least a year.")
    count, events_hash = audit_events_digest(
        first_event_id=seal.first_event_id, last_event_id=seal.last_event_id
    )
    with transaction.atomic():
        _lock_pruning()
        if AuditPrune.objects.filter(seal=seal).exists():
            return None
        if AuditSeal.objects.filter(
            first_event_id__lt=seal.first_event_id, prune__isnull=True
        ).exists():
            raise AuditPruneRefused(f"Seal {seal.pk}: an earlier seal's events are still kept.")
        newest = AuditEvent.objects.filter(
            id__gte=seal.first_event_id, id__lte=seal.last_event_id
        ).aggregate(newest=Max("occurred_at"))["newest"]
        if (newest or seal.sealed_at) >= before:
            raise AuditPruneRefused(f"Seal {seal.pk}: some of its events are not yet due.")
        if count != seal.event_count or events_hash != seal.events_hash:
            raise AuditPruneRefused(
                f"Seal {seal.pk}: its events no longer match the seal; nothing was removed."
            )
        prune = AuditPrune(seal=seal, pruned_at=now, event_count=count, reason=reason[:200])
        prune.save()
        # Past the application's refusal on purpose; the database lets the rows go only
        # because the prune above covers them (trigger, core migration 0005).
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM core_auditevent WHERE id >= %s AND id <= %s",
                [seal.first_event_id, seal.last_event_id],
            )
            removed = cursor.rowcount
        if removed != count:
            raise AuditPruneRefused(f"Seal {seal.pk}: its events changed while being removed.")
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            object_type="audit_events",
            object_id=seal.pk,
            detail={
                "first_event_id": seal.first_event_id,
                "last_event_id": seal.last_event_id,
                "events": count,
                "reason": reason[:200],
            },
        )
    return prune


# --- What the integrity page shows ------------------------------------------------------------


@dataclass(frozen=True)
class SealStatus:
    seals: int
    events_sealed: int
    events_waiting: int
    last_sealed_at: datetime | None
    last_sealed_event_id: int | None
    latest_seal_hash: str


def audit_seal_status() -> SealStatus:
    """How much of the audit log is sealed, and the hash an auditor should write down."""
    latest = AuditSeal.objects.order_by("-last_event_id").first()
    totals = AuditSeal.objects.aggregate(events=Sum("event_count"))
    last_id = latest.last_event_id if latest else 0
    return SealStatus(
        seals=AuditSeal.objects.count(),
        events_sealed=totals["events"] or 0,
        events_waiting=AuditEvent.objects.filter(id__gt=last_id).count(),
        last_sealed_at=latest.sealed_at if latest else None,
        last_sealed_event_id=latest.last_event_id if latest else None,
        latest_seal_hash=latest.seal_hash if latest else "",
    )


# --- Verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealProblem:
    """What is wrong with one seal: names the seal and its range, never an event's content."""

    seal_id: int
    first_event_id: int
    last_event_id: int
    problem: str

    def __str__(self) -> str:
        return (
            f"Seal {self.seal_id} (events {self.first_event_id} to {self.last_event_id}): "
            f"{self.problem}"
        )


@dataclass(frozen=True)
class AuditCheck:
    seals_checked: int = 0
    events_checked: int = 0
    latest_seal_hash: str = ""
    last_sealed_event_id: int | None = None
    problems: list[SealProblem] = field(default_factory=list)
    # Whether a hash the auditor recorded earlier is still in the chain (None: not asked).
    expected_hash_found: bool | None = None
    # Seals whose events were removed at the end of their retention period (ADR 0025),
    # and how many events they had held: their chain is checked, their events are not.
    seals_pruned: int = 0
    events_pruned: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems and self.expected_hash_found is not False


def _count_problem(sealed: int, found: int) -> str:
    if found < sealed:
        return f"{plural(sealed - found, 'event')} deleted after sealing"
    return f"{plural(found - sealed, 'event')} inserted after sealing"


def audit_verify(*, expected_hash: str = "") -> AuditCheck:
    """Recompute every seal and the chain between them; report what does not match.

    Reports, per seal: events changed, deleted or inserted in its range since it was
    sealed; the seal itself changed; a seal that does not follow the one before it (a
    seal removed, replaced or slipped in); a range that does not start where the
    previous one ended. Streams the events once in id order. Reads only; problems name
    seals and id ranges, never personal data. With `expected_hash`, also says whether
    that seal hash (recorded outside OpenMASH earlier) is still in the chain: the only
    defence against both tables being replaced wholesale.
    """
    with _streaming():
        return _verify(expected_hash)


def _verify(expected_hash: str) -> AuditCheck:
    last_sealed = AuditSeal.objects.aggregate(last=Max("last_event_id"))["last"]
    if last_sealed is None:
        return AuditCheck(expected_hash_found=False if expected_hash else None)
    seals = (
        AuditSeal.objects.order_by("first_event_id", "id")
        .values_list(*SEAL_COLUMNS)
        .iterator(chunk_size=STREAM_CHUNK)
    )
    # A few rows: one per seal whose events were removed, each of up to 50,000 events.
    pruned = dict(AuditPrune.objects.values_list("seal_id", "pruned_at"))
    events = _events(1, last_sealed)
    pending = next(events, None)
    problems: list[SealProblem] = []
    previous_hash, previous_last = GENESIS_HASH, 0
    seals_checked = events_checked = seals_pruned = events_pruned = 0
    found = False
    kept_seal_seen = False
    for seal_id, first, last, count, events_hash, claimed_previous, seal_hash, sealed_at in seals:
        seals_checked += 1
        wrong: list[str] = []
        pruned_at = pruned.get(seal_id)
        if claimed_previous != previous_hash:
            wrong.append(
                "does not follow the seal before it (that seal was changed or replaced, "
                "or a seal was removed or added)"
            )
        if first != previous_last + 1:
            wrong.append(
                f"its range does not start after the previous seal's (event {previous_last})"
            )
        if seal_hash != seal_hash_of(
            previous_hash=claimed_previous,
            first_event_id=first,
            last_event_id=last,
            event_count=count,
            events_hash=events_hash,
            sealed_at=sealed_at,
        ):
            wrong.append("the seal itself was changed")
        digest = _EventsDigest()
        outside = 0
        while pending is not None and pending[0] <= last:
            if pending[0] >= first:
                digest.add(pending)
            else:
                outside += 1
            pending = next(events, None)
        events_checked += digest.count + outside
        if outside:
            wrong.append(f"{plural(outside, 'event')} between it and the previous seal, in no seal")
        if pruned_at is not None:
            # Its events went at the end of their retention period: the seal's own hash
            # (checked above) still ties its stored events hash into the chain.
            seals_pruned += 1
            events_pruned += count
            if digest.count:
                wrong.append(f"{plural(digest.count, 'event')} in a range recorded as removed")
            if kept_seal_seen:
                wrong.append("its events were removed although an earlier seal's were kept")
            if pruned_at - sealed_at < AUDIT_MIN_RETENTION:
                wrong.append("its events were removed less than a year after they were sealed")
        elif digest.count != count:
            kept_seal_seen = True
            wrong.append(_count_problem(count, digest.count))
        elif digest.hexdigest() != events_hash:
            kept_seal_seen = True
            wrong.append("events changed after sealing")
        else:
            kept_seal_seen = True
        problems.extend(SealProblem(seal_id, first, last, problem) for problem in wrong)
        found = found or seal_hash == expected_hash
        previous_hash, previous_last = seal_hash, last
    return AuditCheck(
        seals_checked=seals_checked,
        events_checked=events_checked,
        latest_seal_hash=previous_hash,
        last_sealed_event_id=last_sealed,
        problems=problems,
        expected_hash_found=found if expected_hash else None,
        seals_pruned=seals_pruned,
        events_pruned=events_pruned,
    )


# --- Verification from the integrity page ---------------------------------------------------


def _enqueue(verification_id: int) -> None:
    verify_audit_log.enqueue(verification_id)


@transaction.atomic
def audit_verification_request(*, actor: Actor, expected_hash: str = "") -> AuditVerification:
    """Queue a check of the whole audit log for the worker; raises PermissionDenied.

    Runs in the background (`manage.py db_worker`) because a large log takes longer
    than a request may; the integrity page shows the outcome when it is done.
    """
    if actor.user is None or not actor.user.has_perm(VIEW_AUDIT_INTEGRITY):
        raise PermissionDenied
    verification = AuditVerification.objects.create(
        requested_by=actor.user, expected_hash=expected_hash
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="audit_verification",
        object_id=verification.pk,
        detail={"expected_hash": bool(expected_hash)},
    )
    transaction.on_commit(lambda: _enqueue(verification.pk))
    return verification


def audit_verification_run(*, verification_id: int) -> AuditVerification:
    """Run a queued check and record its outcome (passed, failed, or could not finish)."""
    verification = AuditVerification.objects.get(pk=verification_id)
    verification.state = VerificationState.RUNNING
    verification.started_at = timezone.now()
    verification.save(update_fields=["state", "started_at"])
    try:
        check = audit_verify(expected_hash=verification.expected_hash)
    except Exception as error:
        logger.exception("Audit verification %s could not finish", verification_id)
        verification.state = VerificationState.ERROR
        verification.error = type(error).__name__
    else:
        verification.state = VerificationState.PASSED if check.passed else VerificationState.FAILED
        verification.seals_checked = check.seals_checked
        verification.events_checked = check.events_checked
        verification.latest_seal_hash = check.latest_seal_hash
        verification.expected_hash_found = check.expected_hash_found
        verification.problems = [
            {
                "seal": problem.seal_id,
                "first_event_id": problem.first_event_id,
                "last_event_id": problem.last_event_id,
                "problem": problem.problem,
            }
            for problem in check.problems
        ]
    verification.finished_at = timezone.now()
    verification.save()
    return verification


def audit_verification_latest() -> AuditVerification | None:
    return AuditVerification.objects.select_related("requested_by").first()


# --- Background tasks -----------------------------------------------------------------------
# Each task sits beside the service it runs, so that queueing a check and running it
# need no import in either direction between two modules.


@task()
def seal_audit_log() -> int:
    """Seal the audit events that have settled since the last seal; the number sealed."""
    return sum(seal.event_count for seal in audit_seal())


@task()
def verify_audit_log(verification_id: int) -> str:
    """Check the audit log against its seals for an auditor; the outcome's state."""
    return audit_verification_run(verification_id=verification_id).state
