"""Audit events removed at the end of their retention period, a whole seal at a time
(ADR 0025): the seals stay, so `verify_audit` still passes and still catches tampering;
the database refuses to delete an event no prune covers; a range that no longer matches
its seal, events younger than a year, or a seal after one still kept are never pruned."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.core.audit import Actor, audit_record_many
from openmash.core.audit_seals import (
    AuditPruneRefused,
    audit_prunable,
    audit_prune_seal,
    audit_seal,
    audit_verify,
)
from openmash.core.models import (
    AuditAction,
    AuditEvent,
    AuditLogIsAppendOnly,
    AuditPrune,
    AuditSeal,
)
from tests.clock import hub_clock
from tests.core.tampering import tamper

pytestmark = pytest.mark.django_db
SYSTEM = Actor(system="retention")


def old_seals(screener: User) -> list[AuditSeal]:
    """Two seals of events from eight years ago, and one of events from today."""
    eight_years_ago = timezone.now() - timedelta(days=8 * 365)
    seals: list[AuditSeal] = []
    # The first seal takes in everything written so far (the personas' accounts too).
    before = 0
    for _ in range(2):
        audit_record_many(
            actor=Actor(user=screener),
            action=AuditAction.READ,
            object_type="contact",
            objects=[(n, n) for n in range(1, 4)],
        )
        # Back-dated as a test only can: events written eight years ago.
        tamper(
            "UPDATE core_auditevent SET occurred_at = %s WHERE id > %s",
            [eight_years_ago, before],
        )
        # Sealed then too (a seal's time is in its hash, so it cannot be back-dated later).
        with hub_clock(eight_years_ago + timedelta(minutes=10)):
            seals += audit_seal(now=eight_years_ago + timedelta(minutes=5))
        before = seals[-1].last_event_id
    audit_record_many(
        actor=Actor(user=screener),
        action=AuditAction.READ,
        object_type="contact",
        objects=[(9, 9)],
    )
    seals += audit_seal(now=timezone.now() + timedelta(minutes=5))
    return seals


def first_event_id(seal: AuditSeal) -> int:
    """The seal's first event that exists (PostgreSQL's ids run on across tests)."""
    return int(
        AuditEvent.objects.filter(id__gte=seal.first_event_id, id__lte=seal.last_event_id)
        .order_by("id")
        .values_list("id", flat=True)[0]
    )


def seven_years_ago() -> object:
    return timezone.now() - timedelta(days=7 * 365)


def test_pruning_keeps_the_seals_and_the_log_still_verifies(screener: User) -> None:
    first, second, _ = old_seals(screener)

    prunable = audit_prunable(before=seven_years_ago())
    assert [item.seal.pk for item in prunable] == [first.pk, second.pk]
    for item in prunable:
        audit_prune_seal(actor=SYSTEM, seal=item.seal, before=seven_years_ago(), reason="7 years")

    assert not AuditEvent.objects.filter(id__lte=second.last_event_id).exists()
    assert AuditSeal.objects.count() == 3
    assert list(AuditPrune.objects.values_list("seal_id", "event_count")) == [
        (first.pk, first.event_count),
        (second.pk, 3),
    ]
    # The prune itself is in the log, saying which seal and how many, nothing more.
    pruned = AuditEvent.objects.filter(object_type="audit_events", action=AuditAction.DELETE)
    assert sorted(pruned.values_list("object_id", flat=True)) == [str(first.pk), str(second.pk)]
    assert pruned.get(object_id=str(second.pk)).detail["events"] == 3
    audit_seal(now=timezone.now() + timedelta(minutes=5))
    check = audit_verify(expected_hash=first.seal_hash)
    assert check.passed, check.problems
    assert (check.seals_pruned, check.events_pruned) == (2, first.event_count + 3)
    assert check.expected_hash_found is True


def test_verify_audit_says_what_was_pruned(screener: User) -> None:
    first, _, _ = old_seals(screener)
    audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="7 years")
    out = StringIO()

    call_command("verify_audit", stdout=out)

    assert (
        f"1 seal had {first.event_count} audit events removed at the end of their retention period"
        in out.getvalue()
    )
    assert "The audit log matches its seals." in out.getvalue()


def test_tampering_is_still_found_after_pruning(screener: User) -> None:
    first, _, recent = old_seals(screener)
    audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="7 years")

    tamper("UPDATE core_auditevent SET object_id = %s WHERE id = %s", ["99", recent.last_event_id])

    problems = audit_verify().problems
    assert [(p.seal_id, p.problem) for p in problems] == [
        (recent.pk, "events changed after sealing")
    ]


def test_an_event_slipped_into_a_pruned_range_is_found(screener: User) -> None:
    first, _, _ = old_seals(screener)
    audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="7 years")

    tamper(
        "INSERT INTO core_auditevent (id, occurred_at, action, object_type, object_id,"
        " request_id, detail) VALUES (%s, %s, 'read', 'contact', '1', '', '{}')",
        [first.first_event_id, timezone.now()],
    )

    [problem] = audit_verify().problems
    assert problem.seal_id == first.pk
    assert problem.problem == "1 event in a range recorded as removed"


def test_a_tampered_range_is_never_pruned(screener: User) -> None:
    first, _, _ = old_seals(screener)
    tampered = first_event_id(first)
    tamper("UPDATE core_auditevent SET object_id = %s WHERE id = %s", ["tampered", tampered])

    with pytest.raises(AuditPruneRefused, match="no longer match"):
        audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="7 years")

    assert AuditEvent.objects.filter(id=tampered).exists()
    assert not AuditPrune.objects.exists()


def test_events_younger_than_a_year_are_never_pruned(screener: User) -> None:
    first, _, _ = old_seals(screener)

    with pytest.raises(AuditPruneRefused, match="at least a year"):
        audit_prune_seal(
            actor=SYSTEM, seal=first, before=timezone.now() - timedelta(days=30), reason="x"
        )


def test_seals_are_pruned_oldest_first(screener: User) -> None:
    _, second, _ = old_seals(screener)

    with pytest.raises(AuditPruneRefused, match="earlier seal"):
        audit_prune_seal(actor=SYSTEM, seal=second, before=seven_years_ago(), reason="x")


def test_a_seal_with_a_young_event_waits(screener: User) -> None:
    _, _, recent = old_seals(screener)

    assert [item.seal for item in audit_prunable(before=seven_years_ago())][-1] != recent
    with pytest.raises(AuditPruneRefused):
        audit_prune_seal(actor=SYSTEM, seal=recent, before=seven_years_ago(), reason="x")


def test_pruning_twice_removes_once(screener: User) -> None:
    first, _, _ = old_seals(screener)
    audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="7 years")

    assert audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="x") is None
    assert AuditPrune.objects.count() == 1


def test_prunes_are_append_only(screener: User) -> None:
    first, _, _ = old_seals(screener)
    prune = audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="x")
    assert prune is not None

    with pytest.raises(AuditLogIsAppendOnly):
        prune.save()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditPrune.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditprune SET reason = 'changed'")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's trigger refuses UPDATE only"
)
def test_the_database_refuses_to_delete_an_event_no_prune_covers(screener: User) -> None:
    first, second, _ = old_seals(screener)
    audit_prune_seal(actor=SYSTEM, seal=first, before=seven_years_ago(), reason="7 years")

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [first_event_id(second)])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditprune")


def test_a_forged_prune_of_recent_events_is_reported(screener: User) -> None:
    # Someone with database access records a prune of today's seal and deletes its events.
    _, _, recent = old_seals(screener)
    AuditPrune.objects.create(
        seal=recent, pruned_at=timezone.now(), event_count=recent.event_count, reason="forged"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_auditevent WHERE id >= %s AND id <= %s",
            [recent.first_event_id, recent.last_event_id],
        )

    problems = {p.problem for p in audit_verify().problems if p.seal_id == recent.pk}

    assert problems == {
        "its events were removed although an earlier seal's were kept",
        "its events were removed less than a year after they were sealed",
    }
