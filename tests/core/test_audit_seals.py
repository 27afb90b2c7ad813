"""Seals make the audit log tamper-evident: any change after sealing is found (ADR 0009)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.core import audit_seals
from openmash.core.audit import Actor, audit_record_many
from openmash.core.audit_seals import (
    GENESIS_HASH,
    audit_events_digest,
    audit_seal,
    audit_seal_status,
    audit_verify,
    seal_hash_of,
)
from openmash.core.models import (
    AuditAction,
    AuditEvent,
    AuditLogIsAppendOnly,
    AuditSeal,
    AuditVerification,
)
from tests.conftest import signed_in
from tests.core.tampering import tamper

# Sealing runs as if this far in the future, past the settle margin of every event a
# test writes.
SETTLED = timedelta(minutes=5)
FORGED = "forged-request-id"


def later() -> Any:
    return timezone.now() + SETTLED


@pytest.fixture
def write_events(screener: User) -> Callable[[int], list[int]]:
    """A screener's actions recorded in the audit log; returns the new events' ids."""

    def write(count: int) -> list[int]:
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        audit_record_many(
            actor=Actor(user=screener, request_id="req-seal-01", ip_address="203.0.113.7"),
            action=AuditAction.READ,
            object_type="contact",
            objects=[(number, number) for number in range(1, count + 1)],
            detail={"fields": ["name", "date_of_birth"], "page": 1},
        )
        return list(
            AuditEvent.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True)
        )

    return write


def forge_seal(seal: AuditSeal, previous_hash: str) -> str:
    """Rewrite a seal to match its events as they are now, as a careful attacker would."""
    count, events_hash = audit_events_digest(
        first_event_id=seal.first_event_id, last_event_id=seal.last_event_id
    )
    seal_hash = seal_hash_of(
        previous_hash=previous_hash,
        first_event_id=seal.first_event_id,
        last_event_id=seal.last_event_id,
        event_count=count,
        events_hash=events_hash,
        sealed_at=seal.sealed_at,
    )
    tamper(
        "UPDATE core_auditseal SET event_count = %s, events_hash = %s, previous_hash = %s,"
        " seal_hash = %s WHERE id = %s",
        [count, events_hash, previous_hash, seal_hash, seal.pk],
    )
    return seal_hash


def sealed_in_turn(
    write_events: Callable[[int], list[int]], seals: int
) -> tuple[list[AuditSeal], list[int]]:
    """Two events written, then sealed, `seals` times over."""
    made: list[AuditSeal] = []
    ids: list[int] = []
    for _ in range(seals):
        ids += write_events(2)
        made += audit_seal(now=later())
    return made, ids


def problems_of(check: audit_seals.AuditCheck) -> list[tuple[int, str]]:
    return [(problem.seal_id, problem.problem) for problem in check.problems]


# The canonical form: changing it would make every existing seal fail to verify.


def test_the_canonical_form_of_an_event_stays_the_same() -> None:
    row = (
        7,
        datetime(2026, 11, 23, 9, 10, 11, 123456, tzinfo=UTC),
        "read",
        3,
        None,
        "contact",
        "42",
        42,
        "req-1",
        "203.0.113.7",
        {"page": 1, "fields": ["name", "é"]},
    )

    assert (
        audit_seals._event_line(row)
        == (
            '[7,"2026-11-23T09:10:11.123456+00:00","read",3,null,"contact","42",42,"req-1",'
            '"203.0.113.7",{"fields":["name","é"],"page":1}]\n'
        ).encode()
    )


def test_the_seal_hash_stays_the_same() -> None:
    assert (
        seal_hash_of(
            previous_hash=GENESIS_HASH,
            first_event_id=1,
            last_event_id=7,
            event_count=1,
            events_hash="ab" * 32,
            sealed_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC),
        )
        # SHA-256 of the lines "openmash-audit-seal-v1", 64 zeros, "1", "7", "1", the
        # events hash and "2026-11-23T09:15:00.000000+00:00".
        == "e6bf402e1c013940f8285ce97973884f8d9f8bab3f22922e227f736184aead12"
    )


# Sealing


def test_it_seals_every_event_once(write_events: Callable[[int], list[int]]) -> None:
    ids = write_events(5)

    [seal] = audit_seal(now=later())

    assert (seal.first_event_id, seal.last_event_id) == (1, ids[-1])
    assert seal.event_count == AuditEvent.objects.count()
    assert seal.previous_hash == GENESIS_HASH
    assert audit_seal(now=later()) == []

    more = write_events(3)
    [second] = audit_seal(now=later())

    assert (second.first_event_id, second.last_event_id) == (ids[-1] + 1, more[-1])
    assert second.event_count == 3
    assert second.previous_hash == seal.seal_hash
    assert audit_seal_status().events_waiting == 0
    assert audit_seal_status().events_sealed == AuditEvent.objects.count()


def test_it_leaves_events_younger_than_the_settle_margin(
    write_events: Callable[[int], list[int]], screener: User
) -> None:
    now = timezone.now()
    old = AuditEvent.objects.create(
        occurred_at=now - timedelta(minutes=10),
        actor_user=screener,
        action=AuditAction.READ,
        object_type="contact",
    )
    young = write_events(2)

    [seal] = audit_seal(now=now + timedelta(minutes=1))

    assert seal.last_event_id == old.pk
    assert audit_seal_status().events_waiting == 2
    [rest] = audit_seal(now=now + timedelta(minutes=3))
    assert (rest.first_event_id, rest.last_event_id, rest.event_count) == (
        old.pk + 1,
        young[-1],
        2,
    )


def test_it_seals_nothing_when_every_event_is_too_young(
    write_events: Callable[[int], list[int]],
) -> None:
    write_events(3)

    assert audit_seal() == []
    assert not AuditSeal.objects.exists()
    assert audit_seal_status().events_waiting == AuditEvent.objects.count()


def test_it_cuts_a_large_backlog_into_chained_seals(
    write_events: Callable[[int], list[int]],
) -> None:
    ids = write_events(5)

    seals = audit_seal(now=later(), max_events_per_seal=2)

    total = AuditEvent.objects.count()
    assert [seal.event_count for seal in seals] == [2] * (total // 2) + [1] * (total % 2)
    assert seals[0].first_event_id == 1
    assert seals[-1].last_event_id == ids[-1]
    for before, after in pairwise(seals):
        assert after.first_event_id == before.last_event_id + 1
        assert after.previous_hash == before.seal_hash
    assert audit_verify().passed


def test_two_sealers_at_once_never_fork_the_chain(
    write_events: Callable[[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_events(3)
    digest = audit_seals.audit_events_digest
    others: list[AuditSeal] = []

    def another_sealer_first(**kwargs: int) -> tuple[int, str]:
        monkeypatch.setattr(audit_seals, "audit_events_digest", digest)
        others.extend(audit_seal(now=later()))  # finishes while the first is hashing
        return digest(**kwargs)

    monkeypatch.setattr(audit_seals, "audit_events_digest", another_sealer_first)

    assert audit_seal(now=later()) == []
    assert list(AuditSeal.objects.all()) == others
    assert len(others) == 1
    assert audit_verify().passed


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer: ids commit in order"
)
def test_it_waits_for_a_transaction_still_writing_on_postgresql(db: None) -> None:
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT txid_current(), now()")  # holds a transaction id, as a writer
            row = cursor.fetchone()
            assert row is not None
            began = row[1]
        assert audit_seals._settled_before(timezone.now()) == began
    finally:
        other.rollback()
        other.close()
    assert audit_seals._settled_before(cutoff := timezone.now()) == cutoff


# Verifying


def test_it_verifies_an_untouched_log(write_events: Callable[[int], list[int]]) -> None:
    sealed_in_turn(write_events, 2)
    write_events(2)  # not sealed yet: not checked, and no problem

    check = audit_verify()

    assert check.passed
    assert check.problems == []
    assert check.seals_checked == 2
    assert check.events_checked == AuditEvent.objects.count() - 2
    assert check.latest_seal_hash == AuditSeal.objects.order_by("-id").first().seal_hash  # type: ignore[union-attr]


def test_it_passes_an_empty_log(db: None) -> None:
    check = audit_verify()

    assert check.passed
    assert check.seals_checked == 0


def test_it_detects_an_edited_event(write_events: Callable[[int], list[int]]) -> None:
    (_, second), ids = sealed_in_turn(write_events, 2)

    tamper("UPDATE core_auditevent SET request_id = %s WHERE id = %s", [FORGED, ids[3]])

    check = audit_verify()
    assert not check.passed
    assert problems_of(check) == [(second.pk, "events changed after sealing")]
    assert str(check.problems[0]) == (
        f"Seal {second.pk} (events {second.first_event_id} to {second.last_event_id}): "
        "events changed after sealing"
    )


def test_it_detects_an_edited_detail_or_time(write_events: Callable[[int], list[int]]) -> None:
    ids = write_events(2)
    [seal] = audit_seal(now=later())
    # The same detail with its keys in another order is not a change.
    tamper(
        "UPDATE core_auditevent SET detail = %s WHERE id = %s",
        ['{"page": 1, "fields": ["name", "date_of_birth"]}', ids[0]],
    )
    assert audit_verify().passed

    tamper(
        "UPDATE core_auditevent SET detail = %s WHERE id = %s",
        ['{"page": 1, "fields": ["name"]}', ids[0]],
    )
    assert problems_of(audit_verify()) == [(seal.pk, "events changed after sealing")]


def test_it_detects_a_deleted_event(write_events: Callable[[int], list[int]]) -> None:
    ids = write_events(3)
    [seal] = audit_seal(now=later())

    tamper("DELETE FROM core_auditevent WHERE id = %s", [ids[1]])

    assert problems_of(audit_verify()) == [(seal.pk, "1 event deleted after sealing")]


def test_it_detects_an_event_inserted_into_a_sealed_range(
    write_events: Callable[[int], list[int]], screener: User
) -> None:
    ids = write_events(3)
    # A transaction that rolled back leaves a gap in the ids; a forger might fill it.
    tamper("DELETE FROM core_auditevent WHERE id = %s", [ids[1]])
    [seal] = audit_seal(now=later())
    assert audit_verify().passed

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (id, occurred_at, actor_user_id, action, object_type,"
            " object_id, request_id, detail) VALUES (%s, %s, %s, 'read', 'contact', '1', %s, '{}')",
            [ids[1], timezone.now(), screener.pk, FORGED],
        )

    assert problems_of(audit_verify()) == [(seal.pk, "1 event inserted after sealing")]


def test_it_detects_a_changed_seal(write_events: Callable[[int], list[int]]) -> None:
    write_events(2)
    [seal] = audit_seal(now=later())

    tamper("UPDATE core_auditseal SET event_count = event_count + 1 WHERE id = %s", [seal.pk])

    assert problems_of(audit_verify()) == [
        (seal.pk, "the seal itself was changed"),
        (seal.pk, "1 event deleted after sealing"),
    ]


def test_the_chain_detects_a_replaced_seal(write_events: Callable[[int], list[int]]) -> None:
    (first, middle, last), ids = sealed_in_turn(write_events, 3)

    # The events in the middle seal are edited and the seal recomputed to match them.
    tamper("UPDATE core_auditevent SET request_id = %s WHERE id = %s", [FORGED, ids[2]])
    forge_seal(middle, previous_hash=first.seal_hash)

    check = audit_verify()
    assert problems_of(check) == [
        (
            last.pk,
            "does not follow the seal before it (that seal was changed or replaced, "
            "or a seal was removed or added)",
        )
    ]


def test_the_chain_detects_a_removed_seal(write_events: Callable[[int], list[int]]) -> None:
    (first, middle, last), _ = sealed_in_turn(write_events, 3)

    tamper("DELETE FROM core_auditseal WHERE id = %s", [middle.pk])

    assert problems_of(audit_verify()) == [
        (
            last.pk,
            "does not follow the seal before it (that seal was changed or replaced, "
            "or a seal was removed or added)",
        ),
        (
            last.pk,
            f"its range does not start after the previous seal's (event {first.last_event_id})",
        ),
        (last.pk, "2 events between it and the previous seal, in no seal"),
    ]


def test_only_a_hash_recorded_elsewhere_detects_a_rewritten_chain(
    write_events: Callable[[int], list[int]],
) -> None:
    seals, ids = sealed_in_turn(write_events, 2)
    recorded = seals[-1].seal_hash
    assert audit_verify(expected_hash=recorded).expected_hash_found is True

    # Every seal rewritten from the first changed event on: the chain itself holds.
    tamper("UPDATE core_auditevent SET request_id = %s WHERE id = %s", [FORGED, ids[0]])
    previous = GENESIS_HASH
    for seal in seals:
        previous = forge_seal(seal, previous_hash=previous)
    assert audit_verify().passed

    check = audit_verify(expected_hash=recorded)
    assert check.expected_hash_found is False
    assert not check.passed


# Seals are append-only


@pytest.fixture
def seal(write_events: Callable[[int], list[int]]) -> AuditSeal:
    write_events(2)
    [seal] = audit_seal(now=later())
    return seal


def test_it_refuses_to_change_or_delete_a_seal(seal: AuditSeal) -> None:
    seal.event_count = 99
    with pytest.raises(AuditLogIsAppendOnly):
        seal.save()
    with pytest.raises(AuditLogIsAppendOnly):
        seal.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditSeal.objects.filter(pk=seal.pk).update(event_count=99)
    with pytest.raises(AuditLogIsAppendOnly):
        AuditSeal.objects.all().delete()
    assert AuditSeal.objects.get(pk=seal.pk).event_count == AuditEvent.objects.count()


def test_the_database_refuses_a_raw_update_of_a_seal(seal: AuditSeal) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditseal SET event_count = 99 WHERE id = %s", [seal.pk])
    assert audit_verify().passed


def test_the_database_refuses_a_raw_delete_of_a_seal(seal: AuditSeal) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("On SQLite only the application refuses deletes (see migration core 0003)")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditseal WHERE id = %s", [seal.pk])
    assert AuditSeal.objects.filter(pk=seal.pk).exists()


# The commands


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_seal_audit_seals_and_says_what(write_events: Callable[[int], list[int]]) -> None:
    ids = write_events(3)

    out, _ = run("seal_audit", "--settle-seconds", "0")

    seal = AuditSeal.objects.get()
    assert f"Sealed audit events 1 to {ids[-1]}" in out
    assert seal.seal_hash in out
    assert run("seal_audit", "--settle-seconds", "0")[0] == "No audit events to seal.\n"


def test_verify_audit_exits_zero_and_prints_the_latest_hash(seal: AuditSeal) -> None:
    out, err = run("verify_audit")

    assert "Checked 1 seal" in out
    assert f"Latest seal hash: {seal.seal_hash}" in out
    assert "The audit log matches its seals." in out
    assert err == ""
    out, _ = run("verify_audit", "--expect", seal.seal_hash.upper())
    assert "is in the chain" in out


def test_verify_audit_exits_non_zero_naming_the_seal_but_no_personal_data(
    seal: AuditSeal, write_events: Callable[[int], list[int]]
) -> None:
    tamper("UPDATE core_auditevent SET request_id = %s WHERE id = %s", [FORGED, seal.last_event_id])
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("verify_audit", stdout=out, stderr=err)

    assert refused.value.returncode == 1
    assert (
        f"Seal {seal.pk} (events 1 to {seal.last_event_id}): events changed after sealing"
        in err.getvalue()
    )
    assert FORGED not in out.getvalue() + err.getvalue()
    assert "203.0.113.7" not in out.getvalue() + err.getvalue()


def test_verify_audit_exits_non_zero_when_the_recorded_hash_is_gone(seal: AuditSeal) -> None:
    with pytest.raises(CommandError, match="not in the chain") as refused:
        run("verify_audit", "--expect", "a" * 64)
    assert refused.value.returncode == 1
    with pytest.raises(CommandError, match="64 characters"):
        run("verify_audit", "--expect", "not-a-hash")


# The auditor's page


def test_it_shows_the_auditor_how_much_is_sealed(
    auditor: User, seal: AuditSeal, write_events: Callable[[int], list[int]]
) -> None:
    write_events(3)

    response = signed_in(auditor).get(reverse("core:audit-integrity"))

    assert response.status_code == 200
    page = response.content.decode()
    assert seal.seal_hash in page
    assert f"{seal.event_count} in 1 seal" in page
    assert "Events waiting to be sealed" in page


def test_it_checks_the_log_for_the_auditor(
    auditor: User, seal: AuditSeal, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(auditor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("core:audit-check"), {"expected_hash": f" {seal.seal_hash} "}
        )

    assert response.status_code == 302
    [verification] = AuditVerification.objects.all()
    assert (verification.state, verification.requested_by) == ("passed", auditor)
    assert verification.expected_hash_found is True
    [asked] = AuditEvent.objects.filter(object_type="audit_verification")
    assert (asked.actor_user, asked.object_id) == (auditor, str(verification.pk))
    page = client.get(reverse("core:audit-integrity")).content.decode()
    assert "The audit log matches its seals" in page
    assert "The hash you recorded is in the chain." in page


def test_it_shows_the_auditor_what_does_not_match(
    auditor: User, seal: AuditSeal, django_capture_on_commit_callbacks: Any
) -> None:
    tamper("DELETE FROM core_auditevent WHERE id = %s", [seal.last_event_id])
    client = signed_in(auditor)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:audit-check"))

    page = client.get(reverse("core:audit-integrity")).content.decode()
    assert "The audit log does not match its seals" in page
    assert "1 event deleted after sealing" in page
    assert f"1 to {seal.last_event_id}" in page


def test_it_says_when_a_check_is_waiting_for_the_worker(auditor: User, seal: AuditSeal) -> None:
    client = signed_in(auditor)

    client.post(reverse("core:audit-check"))  # not committed: the worker never sees it

    page = client.get(reverse("core:audit-integrity")).content.decode()
    assert "Checking the audit log" in page
    assert "db_worker" in page


def test_it_refuses_a_malformed_hash(auditor: User, seal: AuditSeal) -> None:
    response = signed_in(auditor).post(reverse("core:audit-check"), {"expected_hash": "abc"})

    assert response.status_code == 400
    assert "Enter a seal hash of 64 characters" in response.content.decode()
    assert not AuditVerification.objects.exists()


@pytest.mark.parametrize(
    "persona",
    [
        "screener",
        "manager",
        "police_researcher",
        "early_help_coordinator",
        "school_referrer",
        "analyst",
        "administrator",
        "no_role",
    ],
)
def test_it_shows_the_integrity_page_to_the_auditor_only(
    persona: str, personas: dict[str, User]
) -> None:
    client = signed_in(personas[persona])

    assert client.get(reverse("core:audit-integrity")).status_code == 403
    assert client.post(reverse("core:audit-check")).status_code == 403
    assert not AuditVerification.objects.exists()


def test_the_navigation_offers_audit_integrity_to_auditors_only(
    personas: dict[str, User],
) -> None:
    link = f'href="{reverse("core:audit-integrity")}"'
    for name, user in personas.items():
        page = signed_in(user).get(reverse("home:home")).content.decode()
        assert (link in page) == (name == "auditor"), name
