"""Case notes (issue 13, item 1): the service, who may add and see them, the page and its
errors, and that the page's queries do not grow with the notes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.models import CaseNote
from openmash.enquiries.selectors.notes import notes_for_contact
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.services.notes import note_add
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _add(
    user: User, contact: Contact, text: str = "Rang the school; the DSL confirmed.", **kw: object
) -> CaseNote:
    return note_add(
        actor=Actor(user=user),
        contact_id=contact.pk,
        note_type=str(kw.pop("note_type", "phone_call")),
        text=text,
        **kw,  # type: ignore[arg-type]
    )


def _notes_url(contact: Contact) -> str:
    return reverse("enquiries:case-notes", kwargs={"reference": contact.reference})


class TestNoteAdd:
    def test_a_screener_adds_a_note_stamped_and_audited(
        self, screener: User, new_contact: Contact
    ) -> None:
        note = _add(screener, new_contact)
        assert note.author == screener
        assert note.author_agency_id is None
        assert note.note_type == "phone_call"
        event = AuditEvent.objects.get(object_type="case_note", action="create")
        assert event.object_id == str(note.pk)
        assert event.contact_id == new_contact.pk
        assert "Rang" not in str(event.detail)

    def test_bad_input_gives_field_errors_and_writes_nothing(
        self, screener: User, new_contact: Contact
    ) -> None:
        with pytest.raises(EnquiryInvalid) as refused:
            _add(screener, new_contact, text="  ", note_type="gossip")
        assert set(refused.value.errors) == {"note_type", "text"}
        assert not CaseNote.objects.exists()
        assert not AuditEvent.objects.filter(object_type="case_note").exists()

    def test_a_correction_is_a_new_note_and_the_old_one_is_kept(
        self, screener: User, new_contact: Contact
    ) -> None:
        first = _add(screener, new_contact, "Spoke to Mrs Green on Monday.")
        fixed = _add(screener, new_contact, "Spoke to Mrs Green on Tuesday.", corrects_id=first.pk)
        first.refresh_from_db()
        assert first.text == "Spoke to Mrs Green on Monday."
        assert list(first.corrected_by.all()) == [fixed]

    def test_a_correction_of_another_contacts_note_is_refused(
        self,
        screener: User,
        new_contact: Contact,
        contact_with_checks: Contact,
        school_referrer: User,
    ) -> None:
        from openmash.contacts.services import contact_create
        from tests.factories import a_submission

        other, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
        elsewhere = _add(screener, other)
        with pytest.raises(EnquiryInvalid) as refused:
            _add(screener, contact_with_checks, corrects_id=elsewhere.pk)
        assert "corrects" in refused.value.errors


class TestWhoMay:
    def test_a_researcher_adds_on_a_contact_their_agency_checks(
        self, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        note = _add(researchers["police"], contact_with_checks, note_type="email")
        assert note.author_agency_id == researchers["police"].agency_id

    def test_a_researcher_is_refused_on_a_contact_their_agency_does_not_check(
        self, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        with pytest.raises(PermissionDenied):
            _add(researchers["probation"], contact_with_checks)

    @pytest.mark.parametrize("persona", ["early_help_coordinator", "school_referrer", "analyst"])
    def test_others_may_not_add(
        self, persona: str, personas: dict[str, User], contact_with_checks: Contact
    ) -> None:
        with pytest.raises(PermissionDenied):
            _add(personas[persona], contact_with_checks)
        assert not CaseNote.objects.exists()

    def test_a_researcher_may_not_correct_a_mash_note(
        self, screener: User, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        mash = _add(screener, contact_with_checks)
        with pytest.raises(EnquiryInvalid):
            _add(researchers["police"], contact_with_checks, corrects_id=mash.pk)


class TestWhoSees:
    def test_mash_sees_all_a_researcher_only_their_agencys(
        self,
        screener: User,
        manager: User,
        researchers: dict[str, User],
        contact_with_checks: Contact,
    ) -> None:
        mash = _add(screener, contact_with_checks, "MASH only note")
        police = _add(researchers["police"], contact_with_checks, "Police note")
        health = _add(researchers["health"], contact_with_checks, "Health note")
        seen = lambda user: notes_for_contact(actor=Actor(user=user), contact=contact_with_checks)  # noqa: E731
        assert seen(manager) == [mash, police, health]
        assert seen(researchers["police"]) == [police]
        assert seen(researchers["health"]) == [health]
        reads = AuditEvent.objects.filter(object_type="case_note", action="read")
        assert reads.filter(actor_user=researchers["police"]).count() == 1

    def test_the_page_shows_a_researcher_only_their_agencys_notes(
        self, screener: User, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        _add(screener, contact_with_checks, "MASH only note")
        _add(researchers["police"], contact_with_checks, "Police note")
        page = signed_in(researchers["police"]).get(_notes_url(contact_with_checks))
        assert page.status_code == 200
        assert "Police note" in page.content.decode()
        assert "MASH only note" not in page.content.decode()


class TestPage:
    def test_adding_from_the_page(self, screener: User, new_contact: Contact) -> None:
        client = signed_in(screener)
        done = client.post(
            _notes_url(new_contact), {"note_type": "discussion", "text": "Talked to the DSL."}
        )
        assert done.status_code == 302
        assert CaseNote.objects.get().text == "Talked to the DSL."
        page = client.get(done["Location"]).content.decode()
        assert "Case note added" in page and "Talked to the DSL." in page

    def test_a_bad_note_is_shown_again_as_typed_with_errors(
        self, screener: User, new_contact: Contact
    ) -> None:
        page = signed_in(screener).post(
            _notes_url(new_contact), {"note_type": "", "text": "Kept as typed"}
        )
        assert page.status_code == 400
        body = page.content.decode()
        assert "govuk-error-summary" in body
        assert "Select the type of note" in body
        assert "Kept as typed" in body
        assert not CaseNote.objects.exists()

    def test_the_screening_page_has_the_section(
        self, screener: User, contact_with_checks: Contact
    ) -> None:
        _add(screener, contact_with_checks, "On the screening page")
        url = reverse("enquiries:screening", kwargs={"reference": contact_with_checks.reference})
        body = signed_in(screener).get(url).content.decode()
        assert "Case notes" in body and "On the screening page" in body

    def test_the_decision_page_has_the_section(
        self, manager: User, screener: User, contact_with_checks: Contact
    ) -> None:
        _add(screener, contact_with_checks, "On the decision page")
        url = reverse("enquiries:decision", kwargs={"reference": contact_with_checks.reference})
        body = signed_in(manager).get(url).content.decode()
        assert "On the decision page" in body

    def test_the_queries_do_not_grow_with_the_notes(
        self, screener: User, new_contact: Contact
    ) -> None:
        client = signed_in(screener)
        url = _notes_url(new_contact)

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        first = _add(screener, new_contact)
        client.get(url)
        one = count()
        for _ in range(3):
            _add(screener, new_contact)
        _add(screener, new_contact, corrects_id=first.pk)
        assert count() == one


class TestChronology:
    def _url(self, contact: Contact) -> str:
        child = contact.people.filter(role__in=CHILD_ROLES).first()
        assert child is not None
        return reverse("enquiries:child-chronology", kwargs={"person_id": child.pk})

    def test_notes_on_the_chronology_by_the_same_rule(
        self,
        screener: User,
        researchers: dict[str, User],
        contact_with_checks: Contact,
    ) -> None:
        mash = _add(screener, contact_with_checks, "MASH chronology note")
        _add(screener, contact_with_checks, "MASH correction", corrects_id=mash.pk)
        _add(researchers["police"], contact_with_checks, "Police chronology note")
        url = self._url(contact_with_checks)
        as_mash = signed_in(screener).get(url).content.decode()
        assert "MASH chronology note" in as_mash and "Police chronology note" in as_mash
        assert "Corrected by" in as_mash
        as_police = signed_in(researchers["police"]).get(url).content.decode()
        assert "Police chronology note" in as_police
        assert "MASH chronology note" not in as_police
        assert "MASH correction" not in as_police
        reads = AuditEvent.objects.filter(
            object_type="case_note", action="read", actor_user=researchers["police"]
        )
        assert reads.count() == 1

    def test_chronology_queries_do_not_grow_with_the_notes(
        self, screener: User, contact_with_checks: Contact
    ) -> None:
        client = signed_in(screener)
        url = self._url(contact_with_checks)

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        first = _add(screener, contact_with_checks)
        client.get(url)
        one = count()
        for _ in range(3):
            _add(screener, contact_with_checks)
        _add(screener, contact_with_checks, corrects_id=first.pk)
        assert count() == one
