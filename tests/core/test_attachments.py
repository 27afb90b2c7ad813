"""What a file is, judged by its content (issue 13, item 2): the types accepted, the ones
refused whatever their name, the size limit, names that disagree with the content, and
names made safe (no path, no traversal)."""

import pytest
from django.test import override_settings

from openmash.core.attachments import (
    DOCX,
    EMAIL,
    JPEG,
    ODT,
    PDF,
    PNG,
    TEXT,
    AttachmentRefused,
    inspect_upload,
    safe_filename,
)
from tests import attachment_files as files
from tests.attachment_files import upload


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("referral letter.pdf", files.PDF, PDF),
        ("body map.png", files.png(), PNG),
        ("photo.jpg", files.jpeg(), JPEG),
        ("photo.JPEG", files.jpeg(), JPEG),
        ("chronology.docx", files.docx(), DOCX),
        ("chronology.odt", files.odt(), ODT),
        ("call notes.txt", files.TEXT, TEXT),
        ("email from the school.eml", files.EML, EMAIL),
    ],
)
def test_it_accepts_each_kind_by_its_content(name: str, content: bytes, kind: object) -> None:
    inspected = inspect_upload(upload(name, content, "text/html"))
    assert inspected.kind == kind
    assert inspected.size == len(content)
    assert len(inspected.sha256) == 64


def test_it_refuses_a_pdf_renamed_png() -> None:
    with pytest.raises(AttachmentRefused, match=r"ends \.png but it is a PDF"):
        inspect_upload(upload("body map.png", files.PDF, "image/png"))


def test_it_refuses_an_exe_renamed_pdf() -> None:
    with pytest.raises(AttachmentRefused, match="is a program"):
        inspect_upload(upload("referral.pdf", files.EXE, "application/pdf"))


def test_it_refuses_an_elf_program_named_txt() -> None:
    with pytest.raises(AttachmentRefused, match="is a program"):
        inspect_upload(upload("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 100))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", files.HTML),
        ("page.txt", files.HTML),
        ("map.svg", files.SVG),
        ("map.txt", files.SVG),
    ],
)
def test_it_refuses_html_and_svg_whatever_the_name(name: str, content: bytes) -> None:
    with pytest.raises(AttachmentRefused):
        inspect_upload(upload(name, content, "text/plain"))


def test_it_refuses_a_type_not_on_the_list() -> None:
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    with pytest.raises(AttachmentRefused, match="must be a PDF"):
        inspect_upload(upload("image.gif", gif))


def test_it_refuses_a_zip_named_docx_and_a_word_file_with_macros() -> None:
    with pytest.raises(AttachmentRefused, match="macros"):
        inspect_upload(upload("letter.docx", files.docx(macros=True)))


def test_it_refuses_a_text_file_that_is_not_utf8_or_has_control_bytes() -> None:
    with pytest.raises(AttachmentRefused):
        inspect_upload(upload("notes.txt", "café".encode("utf-16")))
    with pytest.raises(AttachmentRefused):
        inspect_upload(upload("notes.txt", b"hello\x1b[31m"))


def test_it_refuses_an_eml_without_email_headers() -> None:
    with pytest.raises(AttachmentRefused, match="not an email"):
        inspect_upload(upload("message.eml", files.TEXT))


def test_it_refuses_a_name_without_an_extension() -> None:
    with pytest.raises(AttachmentRefused, match="has no extension"):
        inspect_upload(upload("referral", files.PDF))


def test_it_refuses_an_empty_file() -> None:
    with pytest.raises(AttachmentRefused, match="empty"):
        inspect_upload(upload("empty.pdf", b""))


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_it_refuses_a_file_over_the_configured_size() -> None:
    inspect_upload(upload("small.pdf", files.PDF))
    with pytest.raises(AttachmentRefused, match="smaller than 1 KB"):
        inspect_upload(upload("large.pdf", files.PDF + b"0" * 1024))


def test_the_default_limit_is_20_mb() -> None:
    with pytest.raises(AttachmentRefused, match=r"smaller than 20 MB"):
        inspect_upload(upload("large.pdf", files.PDF + b"0" * (20 * 1024 * 1024)))


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("/var/lib/openmash/attachments/ab/cd/secret.pdf", "secret.pdf"),
        ('a"; filename=evil.exe\r\n.pdf', "a__ filename_evil.exe__.pdf"),
        ("..pdf", "pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_names_are_made_safe(given: str, safe: str) -> None:
    assert safe_filename(given) == safe


def test_a_traversing_name_is_only_a_label() -> None:
    inspected = inspect_upload(upload("../../../etc/cron.d/job.pdf", files.PDF))
    assert inspected.filename == "job.pdf"


def test_the_storage_is_local_disk_under_var_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from openmash.settings.base import VAR_DIR, attachment_storage_from_env

    monkeypatch.delenv("ATTACHMENTS_S3_BUCKET", raising=False)
    monkeypatch.delenv("OPENMASH_ATTACHMENTS_DIR", raising=False)
    storage = attachment_storage_from_env()
    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    options = storage["OPTIONS"]
    assert isinstance(options, dict)
    assert options["location"] == str(VAR_DIR / "attachments")
    assert options["file_permissions_mode"] == 0o600


def test_the_storage_is_an_s3_bucket_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from openmash.settings.base import attachment_storage_from_env

    monkeypatch.setenv("ATTACHMENTS_S3_BUCKET", "mash-files")
    monkeypatch.setenv("ATTACHMENTS_S3_ENDPOINT_URL", "https://s3.example.invalid")
    monkeypatch.delenv("ATTACHMENTS_S3_ACCESS_KEY_ID", raising=False)
    storage = attachment_storage_from_env()
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert isinstance(options, dict)
    assert options["bucket_name"] == "mash-files"
    assert options["endpoint_url"] == "https://s3.example.invalid"
    assert options["default_acl"] == "private"
    assert options["file_overwrite"] is False
    assert "access_key" not in options  # boto3's own credentials then
