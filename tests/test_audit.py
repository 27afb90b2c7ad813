"""The audit log: every read and write of a child's record is recorded, and cannot be changed."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.test import Client, override_settings
from django.urls import reverse

from openmash.accounts.models import ApiToken, User
from openmash.contacts import selectors
from openmash.contacts import services as contact_services
from openmash.contacts.models import Contact
from openmash.contacts.services import ContactInvalid, contact_create
from openmash.core.audit import Actor, AuditActorMissing, audit_record, audit_record_many
from openmash.core.models import AuditAction, AuditEvent, AuditLogIsAppendOnly
from openmash.core.roles import Role
from tests.conftest import signed_in
from tests.factories import a_child, a_submission, api_payload

SCREENER_IP = "203.0.113.7"
API_IP = "198.51.100.20"


def contact_events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, object_type="contact", **filters).order_by("id")
    )


def a_contact(user: User, **overrides: Any) -> Contact:
    contact, _ = contact_create(actor=Actor(user=user), submission=a_submission(**overrides))
    return contact


# Reads


def test_it_records_who_read_a_contact_page(screener: User, school_contact: Contact) -> None:
    response = signed_in(screener).get(
        reverse("contacts:detail", args=[school_contact.reference]),
        headers={"X-Request-ID": "req-read-0001"},
        REMOTE_ADDR=SCREENER_IP,
    )

    assert response.status_code == 200
    [event] = contact_events("read")
    assert event.actor_user == screener
    assert event.actor_token is None
    assert event.object_id == str(school_contact.pk)
    assert event.contact_id == school_contact.pk
    assert event.request_id == "req-read-0001" == response["X-Request-ID"]
    assert event.ip_address == SCREENER_IP


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_nginx_it_records_the_clients_address_not_the_proxys(
    screener: User, school_contact: Contact
) -> None:
    """nginx connects from 127.0.0.1 and appends the address it saw to whatever
    X-Forwarded-For the client sent: the audit log has the one nginx saw."""
    signed_in(screener).get(
        reverse("contacts:detail", args=[school_contact.reference]),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"192.0.2.66, {SCREENER_IP}",
    )

    [event] = contact_events("read")
    assert event.ip_address == SCREENER_IP


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_a_load_balancer_it_records_the_systems_address_on_the_api(
    police_token: tuple[ApiToken, str],
) -> None:
    _, secret = police_token
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    contact_id = client.post(
        "/api/v1/contacts", api_payload(), content_type="application/json"
    ).json()["id"]

    client.get(
        f"/api/v1/contacts/{contact_id}",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"192.0.2.66, {API_IP}, 10.0.0.2",
    )
    client.get(
        "/api/v1/contacts/987654",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"{API_IP}, 10.0.0.2",
    )

    [read] = contact_events("read")
    [refused] = AuditEvent.objects.filter(action=AuditAction.READ_REFUSED)
    assert read.ip_address == API_IP
    assert refused.ip_address == API_IP


def test_without_a_proxy_it_ignores_x_forwarded_for(
    screener: User, school_contact: Contact
) -> None:
    signed_in(screener).get(
        reverse("contacts:detail", args=[school_contact.reference]),
        REMOTE_ADDR=SCREENER_IP,
        HTTP_X_FORWARDED_FOR="192.0.2.66",
    )

    [event] = contact_events("read")
    assert event.ip_address == SCREENER_IP


def test_it_gives_each_read_its_own_request_id(screener: User, school_contact: Contact) -> None:
    client = signed_in(screener)
    url = reverse("contacts:detail", args=[school_contact.reference])
    first = client.get(url)
    second = client.get(url)

    events = contact_events("read")
    assert len(events) == 2
    assert [event.request_id for event in events] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert events[0].request_id != events[1].request_id


def test_it_records_no_read_when_access_is_refused(
    other_school_referrer: User, school_contact: Contact
) -> None:
    response = signed_in(other_school_referrer).get(
        reverse("contacts:detail", args=[school_contact.reference])
    )

    # Not found, as for a reference that does not exist (the answer must not say it does).
    assert response.status_code == 404
    assert contact_events("read") == []


def test_it_records_which_system_read_a_contact_through_the_api(
    police_token: tuple[ApiToken, str],
) -> None:
    token, secret = police_token
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    created = client.post("/api/v1/contacts", api_payload(), content_type="application/json")
    contact_id = created.json()["id"]

    response = client.get(
        f"/api/v1/contacts/{contact_id}",
        headers={"X-Request-ID": "req-api-read-0001"},
        REMOTE_ADDR=API_IP,
    )

    assert response.status_code == 200
    [event] = contact_events("read")
    assert event.actor_token == token
    assert event.actor_user is None
    assert event.object_id == str(contact_id)
    assert event.contact_id == contact_id
    assert event.request_id == "req-api-read-0001"
    assert event.ip_address == API_IP


def test_it_records_each_contact_shown_in_the_new_contacts_list(
    screener: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "CONTACTS_PER_PAGE", 2)
    oldest, middle, newest = (a_contact(screener) for _ in range(3))
    client = signed_in(screener)

    first_page = client.get(
        reverse("contacts:new-contacts"),
        headers={"X-Request-ID": "req-list-0001"},
        REMOTE_ADDR=SCREENER_IP,
    )

    assert first_page.status_code == 200
    listed = contact_events("list")
    assert sorted(event.contact_id for event in listed) == sorted([newest.pk, middle.pk])
    assert {event.object_id for event in listed} == {str(newest.pk), str(middle.pk)}
    assert {(e.actor_user_id, e.request_id, e.ip_address) for e in listed} == {
        (screener.pk, "req-list-0001", SCREENER_IP)
    }
    # Listing is not reading: no "read" event for contacts only seen in a list.
    assert contact_events("read") == []

    # The next page, by the list's own link (keyset paging: a cursor, not a number).
    older = re.search(r'href="\?after=([^"]+)" rel="next"', first_page.content.decode())
    assert older is not None
    client.get(reverse("contacts:new-contacts"), {"after": unquote(older.group(1))})
    assert sorted(event.contact_id for event in contact_events("list")) == sorted(
        [newest.pk, middle.pk, oldest.pk]
    )


def test_it_records_nothing_for_an_empty_list(screener: User) -> None:
    assert signed_in(screener).get(reverse("contacts:new-contacts")).status_code == 200
    assert contact_events("list") == []


def test_it_records_each_contact_shown_in_a_referrers_list(
    school_referrer: User, other_school_referrer: User
) -> None:
    ours = a_contact(school_referrer)
    a_contact(other_school_referrer)

    response = signed_in(school_referrer).get(reverse("contacts:submitted"))

    assert response.status_code == 200
    assert [(e.contact_id, e.actor_user) for e in contact_events("list")] == [
        (ours.pk, school_referrer)
    ]


# Writes


def test_it_records_the_creation_of_a_contact(screener: User) -> None:
    contact, _ = contact_create(
        actor=Actor(user=screener, request_id="req-create-0001", ip_address=SCREENER_IP),
        submission=a_submission(),
    )

    [event] = contact_events("create")
    assert event.actor_user == screener
    assert event.object_id == str(contact.pk)
    assert event.contact_id == contact.pk
    assert event.request_id == "req-create-0001"
    assert event.ip_address == SCREENER_IP
    # Field names and counts, never personal data.
    assert "Amy" not in str(event.detail)


def test_it_records_the_creation_of_a_contact_through_the_api(
    police_token: tuple[ApiToken, str],
) -> None:
    token, secret = police_token
    response = Client().post(
        "/api/v1/contacts",
        api_payload(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "req-api-create-01"},
        REMOTE_ADDR=API_IP,
    )

    assert response.status_code == 201
    [event] = contact_events("create")
    assert (event.actor_token, event.actor_user) == (token, None)
    assert event.contact_id == response.json()["id"]
    assert (event.request_id, event.ip_address) == ("req-api-create-01", API_IP)


def test_it_writes_the_contact_and_its_create_event_together(
    screener: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If anything fails after the event is written, the event goes with the contact."""
    written: list[AuditEvent] = []

    def audit_then_fail(**kwargs: Any) -> AuditEvent:
        event = audit_record(**kwargs)
        written.append(event)
        raise RuntimeError("the server fell over")

    monkeypatch.setattr(contact_services, "audit_record", audit_then_fail)

    with pytest.raises(RuntimeError):
        contact_create(actor=Actor(user=screener), submission=a_submission())

    assert written, "the service never wrote its audit event"
    assert not AuditEvent.objects.filter(pk=written[0].pk).exists()
    assert contact_events("create") == []
    assert not Contact.objects.exists()


def test_it_writes_no_contact_when_the_audit_event_cannot_be_written(
    screener: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def audit_fails(**kwargs: Any) -> AuditEvent:
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(contact_services, "audit_record", audit_fails)

    with pytest.raises(DatabaseError):
        contact_create(actor=Actor(user=screener), submission=a_submission())

    assert not Contact.objects.exists()


def test_it_records_nothing_for_a_refused_contact(screener: User) -> None:
    with pytest.raises(ContactInvalid):
        contact_create(
            actor=Actor(user=screener), submission=a_submission(people=[a_child(sex="X")])
        )

    assert contact_events("create") == []


# Append-only


@pytest.fixture
def event(screener: User, school_contact: Contact) -> AuditEvent:
    return audit_record(
        actor=Actor(user=screener, request_id="req-original", ip_address=SCREENER_IP),
        action=AuditAction.READ,
        object_type="contact",
        object_id=school_contact.pk,
        contact_id=school_contact.pk,
    )


def _unchanged(event: AuditEvent) -> bool:
    stored = AuditEvent.objects.get(pk=event.pk)
    return (stored.action, stored.request_id, stored.actor_user_id) == (
        "read",
        "req-original",
        event.actor_user_id,
    )


def test_it_refuses_to_save_a_changed_audit_event(event: AuditEvent) -> None:
    event.action = AuditAction.DELETE
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.save(update_fields=["action"])
    assert _unchanged(event)


def test_it_refuses_to_delete_an_audit_event(event: AuditEvent) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    assert _unchanged(event)


def test_it_refuses_to_update_audit_events_in_bulk(event: AuditEvent) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(request_id="forged")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update(request_id="forged")
    event.request_id = "forged"
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_update([event], ["request_id"])
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"request_id": "forged"})
    assert _unchanged(event)


def test_it_refuses_to_delete_audit_events_in_bulk(event: AuditEvent) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert _unchanged(event)


def test_it_refuses_to_overwrite_an_audit_event_with_a_new_one(
    event: AuditEvent, screener: User
) -> None:
    forged = AuditEvent(pk=event.pk, actor_user=screener, action="read", object_type="contact")
    with pytest.raises(AuditLogIsAppendOnly):
        forged.save()
    assert _unchanged(event)


def test_the_database_refuses_a_raw_update_of_an_audit_event(event: AuditEvent) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET request_id = %s WHERE id = %s", ["forged", event.pk]
        )
    assert _unchanged(event)


def test_the_database_refuses_a_raw_delete_of_an_audit_event(event: AuditEvent) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("On SQLite only the application refuses deletes (see migration core 0002)")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert _unchanged(event)


def test_the_database_still_accepts_new_audit_events(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM core_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == (1,)
    audit_record(actor=Actor(user=event.actor_user), action=AuditAction.READ, object_type="contact")
    assert AuditEvent.objects.filter(object_type="contact", action="read").count() == 2


# The auditor's view: who viewed or changed a child's record


def test_it_shows_the_auditor_who_viewed_a_childs_record(
    screener: User, auditor: User, school_contact: Contact, other_school_referrer: User
) -> None:
    signed_in(screener).get(
        reverse("contacts:detail", args=[school_contact.reference]), REMOTE_ADDR=SCREENER_IP
    )
    # Someone else's record, viewed from elsewhere: not in this child's log.
    other = a_contact(other_school_referrer)
    signed_in(screener).get(
        reverse("contacts:detail", args=[other.reference]), REMOTE_ADDR="192.0.2.99"
    )
    child = school_contact.people.get(position=0)

    response = signed_in(auditor).get(reverse("contacts:access-log", args=[child.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert school_contact.reference in page
    assert "Screener Tester" in page
    assert "Viewed contact" in page
    assert SCREENER_IP in page
    assert "Created contact" in page  # the school referrer's submission
    assert "Riverside Primary School" in page
    assert "192.0.2.99" not in page
    # The auditor's look at the log is itself recorded against the child's record.
    [looked] = AuditEvent.objects.filter(action="read", object_type="access_log")
    assert (looked.actor_user, looked.contact_id, looked.object_id) == (
        auditor,
        school_contact.pk,
        str(child.pk),
    )


def test_it_shows_the_auditor_which_system_read_a_childs_record(
    police_token: tuple[ApiToken, str], auditor: User
) -> None:
    _, secret = police_token
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    contact_id = client.post(
        "/api/v1/contacts", api_payload(), content_type="application/json"
    ).json()["id"]
    client.get(f"/api/v1/contacts/{contact_id}", REMOTE_ADDR=API_IP)
    child = Contact.objects.get(pk=contact_id).people.get(position=0)

    page = signed_in(auditor).get(reverse("contacts:access-log", args=[child.pk]))

    assert page.status_code == 200
    assert "Police case system (API, Police)" in page.content.decode()
    assert API_IP in page.content.decode()


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
def test_it_shows_the_access_log_to_the_auditor_only(
    persona: str, personas: dict[str, User], school_contact: Contact
) -> None:
    child = school_contact.people.get(position=0)

    response = signed_in(personas[persona]).get(reverse("contacts:access-log", args=[child.pk]))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(object_type="access_log").exists()


def test_it_lets_the_auditor_find_a_child_by_contact_reference(
    auditor: User, school_contact: Contact
) -> None:
    client = signed_in(auditor)
    posted = client.post(reverse("contacts:access-log-search"), {"q": school_contact.reference})
    assert posted.status_code == 303
    response = client.get(posted["Location"])

    assert response.status_code == 200
    child = school_contact.people.get(position=0)
    assert reverse("contacts:access-log", args=[child.pk]) in response.content.decode()
    [search] = AuditEvent.objects.filter(action="search", object_type="access_log")
    assert search.actor_user == auditor


@pytest.mark.parametrize("query", ["\x00", "MASH-\x00", "Smith\x00", "Amy Sm\x00ith"])
def test_it_searches_safely_for_any_text_the_auditor_types(
    auditor: User, school_contact: Contact, query: str
) -> None:
    client = signed_in(auditor)
    response = client.post(reverse("contacts:access-log-search"), {"q": query}, follow=True)

    assert response.status_code == 200


def test_it_keeps_the_name_the_auditor_searched_for_out_of_every_address(
    auditor: User, school_contact: Contact
) -> None:
    child = school_contact.people.get(position=0)
    client = signed_in(auditor)

    posted = client.post(reverse("contacts:access-log-search"), {"q": child.family_name})
    results = client.get(posted["Location"])

    assert posted.status_code == 303
    assert child.family_name not in posted["Location"]
    assert "?" not in posted["Location"]
    assert reverse("contacts:access-log", args=[child.pk]) in results.content.decode()
    assert 'method="get"' not in results.content.decode()


def test_it_shows_another_auditors_search_to_nobody(
    auditor: User, school_contact: Contact, make_user: Callable[..., User]
) -> None:
    posted = signed_in(auditor).post(
        reverse("contacts:access-log-search"), {"q": school_contact.reference}
    )
    other = make_user("second_auditor", Role.AUDITOR)

    response = signed_in(other).get(posted["Location"])

    assert response.status_code == 200
    assert "That search has expired" in response.content.decode()
    assert school_contact.reference not in response.content.decode()


def test_it_asks_for_something_to_search_for(auditor: User) -> None:
    response = signed_in(auditor).post(reverse("contacts:access-log-search"), {"q": "  "})

    assert response.status_code == 400
    assert "Enter a contact reference or a name" in response.content.decode()


# The audit writer


def test_it_refuses_to_write_an_audit_event_without_an_actor(db: None) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(AuditActorMissing):
        audit_record(actor=Actor(), action=AuditAction.READ, object_type="contact", object_id=1)
    with pytest.raises(AuditActorMissing):
        audit_record(
            actor=Actor(request_id="req-nobody-01", ip_address="192.0.2.1"),
            action=AuditAction.CREATE,
            object_type="contact",
        )
    with pytest.raises(AuditActorMissing):
        audit_record_many(
            actor=Actor(), action=AuditAction.LIST, object_type="contact", objects=[(1, 1)]
        )
    assert AuditEvent.objects.count() == before


def test_it_refuses_to_read_a_contact_without_an_actor(school_contact: Contact) -> None:
    with pytest.raises(Http404):
        selectors.contact_get_visible_to(actor=Actor(), reference=school_contact.reference)
    assert contact_events("read") == []
