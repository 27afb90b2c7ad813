"""Attachments on a contact, a check and a case note (issue 13, item 2): stored under a
random name through the attachments storage, in one transaction with their record and
audit event; downloaded only by those allowed (the fire wall: an agency's check file is
its agency's and the MASH's), audited, with safe headers; refused files are field errors
that lose nothing typed."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.models import Attachment, CaseNote
from openmash.enquiries.selectors.attachments import attachments_for_contact
from openmash.enquiries.services import attachments as attachment_services
from openmash.enquiries.services.attachments import attachment_add, check_attachment_add
from openmash.enquiries.services.checks import check_record_findings
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.services.notes import note_add
from tests import attachment_files as files
from tests.attachment_files import upload
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for, not_known

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    location = tmp_path / "attachments"
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    yield location


def stored_files(location: Path) -> list[Path]:
    return [path for path in location.rglob("*") if path.is_file()] if location.exists() else []


def _download_url(attachment: Attachment) -> str:
    return reverse("enquiries:attachment", kwargs={"public_id": attachment.public_id})


def _police_file(researchers: dict[str, User], contact: Contact) -> Attachment:
    return check_attachment_add(
        actor=Actor(user=researchers["police"]),
        check_id=check_for(contact, "police").pk,
        upload=upload("PNC printout.pdf", files.PDF),
    )


class TestStoring:
    def test_a_screener_attaches_a_file_stored_under_a_random_name(
        self, screener: User, new_contact: Contact, storage_dir: Path
    ) -> None:
        child = new_contact.people.order_by("position").first()
        assert child is not None
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload(f"{child.family_name} body map.png", files.png(), "text/html"),
        )
        assert attachment.filename == f"{child.family_name} body map.png"
        assert attachment.content_type == "image/png"  # from the content, not the browser
        assert attachment.uploaded_by == screener
        assert attachment.uploaded_by_agency_id is None
        (path,) = stored_files(storage_dir)
        assert path.read_bytes() == files.png()
        relative = path.relative_to(storage_dir).as_posix()
        assert relative == attachment.stored_name
        assert child.family_name not in relative and "body" not in relative
        assert len(relative.rsplit("/", 1)[-1]) == 40

    def test_it_is_audited_without_its_name(self, screener: User, new_contact: Contact) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload("Referral letter.pdf", files.PDF),
        )
        event = AuditEvent.objects.get(object_type="attachment", action="create")
        assert event.object_id == str(attachment.pk)
        assert event.contact_id == new_contact.pk
        assert event.detail["sha256"] == attachment.sha256
        assert event.detail["on"] == "contact"
        assert "Referral" not in str(event.detail)

    def test_a_refused_file_is_a_field_error_and_nothing_is_written(
        self, screener: User, new_contact: Contact, storage_dir: Path
    ) -> None:
        with pytest.raises(EnquiryInvalid) as refused:
            attachment_add(
                actor=Actor(user=screener),
                contact_id=new_contact.pk,
                upload=upload("referral.pdf", files.EXE),
            )
        assert "program" in refused.value.errors["attachment"]
        assert not Attachment.objects.exists()
        assert not stored_files(storage_dir)
        assert not AuditEvent.objects.filter(object_type="attachment").exists()

    def test_no_file_is_a_field_error(self, screener: User, new_contact: Contact) -> None:
        with pytest.raises(EnquiryInvalid) as refused:
            attachment_add(actor=Actor(user=screener), contact_id=new_contact.pk, upload=None)
        assert refused.value.errors == {"attachment": "Select a file to attach"}

    def test_a_failure_after_storing_removes_the_file(
        self,
        screener: User,
        new_contact: Contact,
        storage_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def failing_audit(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the audit log is unavailable")

        monkeypatch.setattr(attachment_services, "_audit", failing_audit)
        with pytest.raises(RuntimeError):
            attachment_add(
                actor=Actor(user=screener),
                contact_id=new_contact.pk,
                upload=upload("referral.pdf", files.PDF),
            )
        assert not Attachment.objects.exists()
        assert not stored_files(storage_dir)

    def test_others_may_not_attach(self, personas: dict[str, User], new_contact: Contact) -> None:
        for persona in (
            "early_help_coordinator",
            "school_referrer",
            "analyst",
            "police_researcher",
        ):
            with pytest.raises(PermissionDenied):
                attachment_add(
                    actor=Actor(user=personas[persona]),
                    contact_id=new_contact.pk,
                    upload=upload("referral.pdf", files.PDF),
                )


class TestNoteWithAFile:
    def test_a_note_and_its_file_are_written_together(
        self, screener: User, new_contact: Contact
    ) -> None:
        note = note_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            note_type="email",
            text="The school emailed the body map.",
            upload=upload("email.eml", files.EML),
        )
        (attachment,) = note.attachments.all()
        assert attachment.content_type == "message/rfc822"
        assert attachment.contact == new_contact
        assert AuditEvent.objects.get(object_type="attachment").detail["on"] == "case_note"

    def test_a_refused_file_saves_no_note(
        self, screener: User, new_contact: Contact, storage_dir: Path
    ) -> None:
        with pytest.raises(EnquiryInvalid) as refused:
            note_add(
                actor=Actor(user=screener),
                contact_id=new_contact.pk,
                note_type="email",
                text="The school emailed the body map.",
                upload=upload("body map.png", files.PDF),
            )
        assert set(refused.value.errors) == {"attachment"}
        assert not CaseNote.objects.exists()
        assert not Attachment.objects.exists()
        assert not stored_files(storage_dir)

    def test_a_refused_note_stores_no_file(
        self, screener: User, new_contact: Contact, storage_dir: Path
    ) -> None:
        with pytest.raises(EnquiryInvalid) as refused:
            note_add(
                actor=Actor(user=screener),
                contact_id=new_contact.pk,
                note_type="email",
                text="   ",
                upload=upload("letter.pdf", files.PDF),
            )
        assert set(refused.value.errors) == {"text"}
        assert not stored_files(storage_dir)

    def test_the_page_keeps_the_note_as_typed_when_the_file_is_refused(
        self, screener: User, new_contact: Contact
    ) -> None:
        url = reverse("enquiries:case-notes", kwargs={"reference": new_contact.reference})
        response = signed_in(screener).post(
            url,
            {
                "note_type": "phone_call",
                "text": "Spoke to the DSL about the bruise.",
                "attachment": upload("referral.pdf", files.EXE),
            },
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert "Spoke to the DSL about the bruise." in body
        assert "The selected file is a program" in body
        assert 'href="#id_attachment"' in body or "#add-note" in body
        assert "govuk-file-upload--error" in body
        assert not CaseNote.objects.exists()

    def test_the_page_adds_a_note_with_its_file(self, screener: User, new_contact: Contact) -> None:
        client = signed_in(screener)
        url = reverse("enquiries:case-notes", kwargs={"reference": new_contact.reference})
        response = client.post(
            url,
            {
                "note_type": "phone_call",
                "text": "Call.",
                "attachment": upload("call.txt", files.TEXT),
            },
        )
        assert response.status_code == 302
        attachment = Attachment.objects.get()
        body = client.get(url).content.decode()
        assert "call.txt" in body
        assert _download_url(attachment) in body


class TestTheFireWall:
    def test_a_check_file_is_its_agencys_and_the_mashs_only(
        self,
        personas: dict[str, User],
        researchers: dict[str, User],
        contact_with_checks: Contact,
    ) -> None:
        attachment = _police_file(researchers, contact_with_checks)
        assert attachment.uploaded_by_agency == researchers["police"].agency
        url = _download_url(attachment)
        for allowed in (personas["screener"], personas["manager"], researchers["police"]):
            assert signed_in(allowed).get(url).status_code == 200, allowed
        # Health and education were asked to check the same contact: still refused.
        for refused in (researchers["health"], researchers["education"]):
            assert signed_in(refused).get(url).status_code == 403, refused
        for persona in (
            "early_help_coordinator",
            "school_referrer",
            "analyst",
            "auditor",
            "no_role",
        ):
            assert signed_in(personas[persona]).get(url).status_code == 403, persona

    def test_a_mash_file_is_not_shown_to_an_agency(
        self, screener: User, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=contact_with_checks.pk,
            upload=upload("referral.pdf", files.PDF),
        )
        assert signed_in(researchers["police"]).get(_download_url(attachment)).status_code == 403

    def test_each_sees_only_what_the_rule_allows(
        self,
        screener: User,
        researchers: dict[str, User],
        contact_with_checks: Contact,
    ) -> None:
        mash = attachment_add(
            actor=Actor(user=screener),
            contact_id=contact_with_checks.pk,
            upload=upload("referral.pdf", files.PDF),
        )
        police = _police_file(researchers, contact_with_checks)
        health_note = note_add(
            actor=Actor(user=researchers["health"]),
            contact_id=contact_with_checks.pk,
            note_type="phone_call",
            text="GP called.",
            upload=upload("gp letter.pdf", files.PDF),
        )
        health = health_note.attachments.get()

        def seen(user: User) -> list[Attachment]:
            return attachments_for_contact(actor=Actor(user=user), contact=contact_with_checks)

        assert seen(screener) == [mash, police, health]
        assert seen(researchers["police"]) == [police]
        assert seen(researchers["health"]) == [health]
        assert signed_in(researchers["police"]).get(_download_url(health)).status_code == 403
        with pytest.raises(PermissionDenied):
            seen(researchers["probation"])  # probation was not asked to check

    def test_the_pages_list_only_what_the_reader_may_see(
        self,
        screener: User,
        researchers: dict[str, User],
        contact_with_checks: Contact,
    ) -> None:
        police = _police_file(researchers, contact_with_checks)
        url = reverse(
            "enquiries:contact-attachments", kwargs={"reference": contact_with_checks.reference}
        )
        mash_page = signed_in(screener).get(url).content.decode()
        assert "PNC printout.pdf" in mash_page and "Police check" in mash_page
        health_page = signed_in(researchers["health"]).get(url).content.decode()
        assert "PNC printout.pdf" not in health_page
        assert _download_url(police) not in health_page
        screening = reverse(
            "enquiries:screening", kwargs={"reference": contact_with_checks.reference}
        )
        screening_page = signed_in(screener).get(screening).content.decode()
        assert "PNC printout.pdf" in screening_page
        # The note's file field and the contact's are two fields, with ids of their own.
        assert screening_page.count('id="id_attachment"') == 1
        assert screening_page.count('id="id_upload-attachment"') == 1

    def test_another_agencys_check_page_is_not_found(
        self, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        url = reverse(
            "enquiries:check-attachments",
            kwargs={"check_id": check_for(contact_with_checks, "police").pk},
        )
        response = signed_in(researchers["health"]).post(
            url, {"upload-attachment": upload("x.pdf", files.PDF)}
        )
        assert response.status_code == 404
        assert not Attachment.objects.exists()


class TestDownload:
    def test_it_is_served_as_a_safe_download(self, screener: User, new_contact: Contact) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload('../../Bob "Smith".pdf', files.PDF, "text/html"),
        )
        response = signed_in(screener).get(_download_url(attachment))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == files.PDF  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="Bob _Smith_.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert "sandbox" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]

    def test_a_text_file_is_plain_text_never_html(
        self, screener: User, new_contact: Contact
    ) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload("notes.txt", files.TEXT, "text/html"),
        )
        response = signed_in(screener).get(_download_url(attachment))
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")

    def test_each_download_is_audited(
        self, screener: User, manager: User, new_contact: Contact
    ) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload("referral.pdf", files.PDF),
        )
        signed_in(manager).get(_download_url(attachment))
        event = AuditEvent.objects.get(object_type="attachment", action="read")
        assert event.actor_user == manager
        assert event.object_id == str(attachment.pk)
        assert event.contact_id == new_contact.pk
        assert event.detail["download"] is True

    def test_a_refused_download_records_no_read(
        self, screener: User, personas: dict[str, User], new_contact: Contact
    ) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload("referral.pdf", files.PDF),
        )
        assert (
            signed_in(personas["early_help_coordinator"]).get(_download_url(attachment)).status_code
            == 403
        )
        assert not AuditEvent.objects.filter(object_type="attachment", action="read").exists()

    def test_the_list_is_audited(self, screener: User, new_contact: Contact) -> None:
        attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload("referral.pdf", files.PDF),
        )
        url = reverse("enquiries:contact-attachments", kwargs={"reference": new_contact.reference})
        signed_in(screener).get(url)
        assert AuditEvent.objects.filter(object_type="attachment", action="list").count() == 1

    def test_no_path_reaches_the_storage(self, screener: User, new_contact: Contact) -> None:
        client = signed_in(screener)
        for path in (
            "/mash/attachments/../../etc/passwd/",
            "/mash/attachments/..%2F..%2Fetc%2Fpasswd/",
            "/mash/attachments/not-a-uuid/",
            "/mash/attachments/00000000-0000-0000-0000-000000000000/",
        ):
            assert client.get(path).status_code == 404, path

    def test_a_file_missing_from_storage_is_not_found(
        self, screener: User, new_contact: Contact, storage_dir: Path
    ) -> None:
        attachment = attachment_add(
            actor=Actor(user=screener),
            contact_id=new_contact.pk,
            upload=upload("referral.pdf", files.PDF),
        )
        (storage_dir / attachment.stored_name).unlink()
        assert signed_in(screener).get(_download_url(attachment)).status_code == 404


class TestPages:
    def test_a_refused_upload_is_shown_beside_the_field(
        self, screener: User, new_contact: Contact
    ) -> None:
        url = reverse("enquiries:contact-attachments", kwargs={"reference": new_contact.reference})
        response = signed_in(screener).post(
            url, {"upload-attachment": upload("map.png", files.PDF)}
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert "govuk-error-summary" in body
        assert "ends .png but it is a PDF" in body
        assert 'class="govuk-file-upload govuk-file-upload--error"' in body
        assert not Attachment.objects.exists()

    def test_an_upload_from_the_page(self, screener: User, new_contact: Contact) -> None:
        client = signed_in(screener)
        url = reverse("enquiries:contact-attachments", kwargs={"reference": new_contact.reference})
        response = client.post(url, {"upload-attachment": upload("body map.jpg", files.jpeg())})
        assert response.status_code == 302
        assert response["Location"] == (
            reverse("enquiries:screening", kwargs={"reference": new_contact.reference})
            + "#attachments"
        )
        body = client.get(url).content.decode()
        assert "body map.jpg" in body and "JPEG image" in body
        assert "Added by Screener Tester (MASH)" in body

    def test_a_researcher_attaches_on_their_check_page(
        self, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        check = check_for(contact_with_checks, "police")
        client = signed_in(researchers["police"])
        url = reverse("enquiries:check-attachments", kwargs={"check_id": check.pk})
        assert (
            client.post(url, {"upload-attachment": upload("PNC.pdf", files.PDF)}).status_code == 302
        )
        attachment = Attachment.objects.get()
        assert attachment.agency_check == check
        page = client.get(reverse("enquiries:check", kwargs={"check_id": check.pk}))
        body = page.content.decode()
        assert "PNC.pdf" in body and 'enctype="multipart/form-data"' in body

    def test_a_completed_check_takes_no_more_files(
        self, researchers: dict[str, User], contact_with_checks: Contact, storage_dir: Path
    ) -> None:
        check = check_for(contact_with_checks, "police")
        _police_file(researchers, contact_with_checks)
        check_record_findings(
            actor=Actor(user=researchers["police"]),
            check_id=check.pk,
            findings=not_known(contact_with_checks),
        )
        client = signed_in(researchers["police"])
        url = reverse("enquiries:check-attachments", kwargs={"check_id": check.pk})
        response = client.post(url, {"upload-attachment": upload("late.pdf", files.PDF)})
        assert response.status_code == 409
        assert "files can no longer be added" in response.content.decode()
        assert Attachment.objects.count() == 1
        assert len(stored_files(storage_dir)) == 1
        page = client.get(reverse("enquiries:check", kwargs={"check_id": check.pk}))
        body = page.content.decode()
        assert "PNC printout.pdf" in body  # its files are still listed
        assert "Attach the file" not in body

    def test_the_queries_do_not_grow_with_the_files(
        self, screener: User, researchers: dict[str, User], contact_with_checks: Contact
    ) -> None:
        client = signed_in(screener)
        url = reverse(
            "enquiries:contact-attachments", kwargs={"reference": contact_with_checks.reference}
        )

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        _police_file(researchers, contact_with_checks)
        one = count()
        for _ in range(3):
            _police_file(researchers, contact_with_checks)
            attachment_add(
                actor=Actor(user=screener),
                contact_id=contact_with_checks.pk,
                upload=upload("referral.pdf", files.PDF),
            )
        assert count() == one
