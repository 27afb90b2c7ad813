"""Files on a strategy discussion (issue 13, item 2): shared like its minutes, with the
MASH and the agencies invited; added and downloaded through the same checks and headers
as a contact's files, and audited."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.strategy.models import DiscussionAttachment, StrategyDiscussion
from openmash.strategy.services import DiscussionInvalid, discussion_attachment_add
from tests import attachment_files as files
from tests.attachment_files import upload
from tests.conftest import signed_in

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


def _url(attachment: DiscussionAttachment) -> str:
    return reverse("strategy:attachment", kwargs={"public_id": attachment.public_id})


def test_an_invited_agency_attaches_and_the_invited_download(
    scheduled: StrategyDiscussion,
    researchers: dict[str, User],
    manager: User,
    screener: User,
) -> None:
    attachment = discussion_attachment_add(
        actor=Actor(user=researchers["police"]),
        discussion_id=scheduled.pk,
        upload=upload("police report.pdf", files.PDF),
    )
    assert attachment.uploaded_by_agency == researchers["police"].agency
    event = AuditEvent.objects.get(object_type="strategy_attachment", action="create")
    assert event.contact_id == scheduled.contact_id
    assert "police report" not in str(event.detail)
    for allowed in (manager, screener, researchers["police"], researchers["health"]):
        response = signed_in(allowed).get(_url(attachment))
        assert response.status_code == 200, allowed
        assert response["Content-Disposition"] == 'attachment; filename="police report.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(object_type="strategy_attachment", action="read").count() == 4


def test_an_agency_not_invited_is_refused(
    scheduled: StrategyDiscussion,
    researchers: dict[str, User],
    manager: User,
    personas: dict[str, User],
) -> None:
    attachment = discussion_attachment_add(
        actor=Actor(user=manager),
        discussion_id=scheduled.pk,
        upload=upload("chronology.docx", files.docx()),
    )
    # Education was asked to check the contact but not invited to the discussion.
    assert signed_in(researchers["education"]).get(_url(attachment)).status_code == 403
    assert signed_in(personas["early_help_coordinator"]).get(_url(attachment)).status_code == 403
    assert signed_in(personas["analyst"]).get(_url(attachment)).status_code == 403
    with pytest.raises(PermissionDenied):
        discussion_attachment_add(
            actor=Actor(user=researchers["education"]),
            discussion_id=scheduled.pk,
            upload=upload("x.pdf", files.PDF),
        )


def test_a_refused_file_is_a_field_error_on_the_page(
    scheduled: StrategyDiscussion, manager: User, storage_dir: Path
) -> None:
    with pytest.raises(DiscussionInvalid) as refused:
        discussion_attachment_add(
            actor=Actor(user=manager),
            discussion_id=scheduled.pk,
            upload=upload("report.pdf", files.EXE),
        )
    assert "program" in refused.value.errors["attachment"]
    url = reverse("strategy:attachments", kwargs={"discussion_id": scheduled.pk})
    response = signed_in(manager).post(url, {"upload-attachment": upload("map.svg", files.SVG)})
    assert response.status_code == 400
    assert "govuk-file-upload--error" in response.content.decode()
    assert not DiscussionAttachment.objects.exists()
    assert not storage_dir.exists() or not any(p.is_file() for p in storage_dir.rglob("*"))


def test_the_discussion_page_lists_its_files_and_the_form(
    scheduled: StrategyDiscussion, manager: User, researchers: dict[str, User]
) -> None:
    client = signed_in(researchers["police"])
    url = reverse("strategy:attachments", kwargs={"discussion_id": scheduled.pk})
    assert client.post(url, {"upload-attachment": upload("PNC.pdf", files.PDF)}).status_code == 302
    page = signed_in(manager).get(
        reverse("strategy:discussion", kwargs={"discussion_id": scheduled.pk})
    )
    body = page.content.decode()
    assert "PNC.pdf" in body
    assert _url(DiscussionAttachment.objects.get()) in body
    assert 'class="govuk-file-upload"' in body
