"""Files attached to MASH records (issue 13, item 2): what every app that keeps them
shares, so each checks, stores and serves a file the same way (docs/adr/0017).

- `inspect_upload` decides what a file is from its CONTENT (magic numbers, read by the
  `filetype` library; plain text and emails by decoding them), never from its name or the
  browser's content type; refuses a type not on the list, an executable, HTML, SVG or
  XML, an empty or too large file, and a name whose extension disagrees with the content.
- `store` writes it through Django's storage API to the dedicated "attachments" storage
  (settings.STORAGES: local disk under var/ by default, S3-compatible when configured)
  under a random name: nothing of the child or of the upload's name is in the path.
- `download_response` serves it as a download that no browser will render: attachment
  disposition with a safe file name, nosniff, a sandboxing Content Security Policy and
  no caching.

The models that point at a stored file inherit `AttachmentFile` (core/models.py).
"""

import email.parser
import hashlib
import io
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.http import FileResponse

STORAGE_ALIAS = "attachments"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# How much of a file the sniffers read: enough for every magic number filetype knows.
SNIFF_BYTES = 8192
NAME_LIMIT = 120

# The Content Security Policy of a download: nothing may load, run or frame, should a
# browser ever render one despite the disposition.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'; form-action 'none'"


class AttachmentRefused(Exception):
    """The file is not one OpenMASH keeps; the message says why, for the page's field."""


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    extensions: tuple[str, ...]


# What may be attached, by the type its content shows. The first extension is the one a
# download's name is given when its own name has none.
PDF = Kind("PDF", "application/pdf", ("pdf",))
PNG = Kind("PNG image", "image/png", ("png",))
JPEG = Kind("JPEG image", "image/jpeg", ("jpg", "jpeg"))
DOCX = Kind(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
ODT = Kind("OpenDocument text", "application/vnd.oasis.opendocument.text", ("odt",))
TEXT = Kind("Plain text", "text/plain; charset=utf-8", ("txt",))
EMAIL = Kind("Email", "message/rfc822", ("eml",))
KINDS = (PDF, PNG, JPEG, DOCX, ODT, TEXT, EMAIL)
_BY_FILETYPE = {"pdf": PDF, "png": PNG, "jpg": JPEG, "docx": DOCX, "odt": ODT}
_PROGRAMS = {"exe", "elf", "dll", "wasm", "crx", "swf", "deb", "rpm", "msi", "cab", "sqlite"}
# Markup a browser could run (HTML, SVG, XML with scripts): refused in a text file.
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|\?xml|object|embed)\b", re.I)
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?")
ACCEPTED = "a PDF, PNG, JPEG, Word (.docx), OpenDocument text (.odt), plain text (.txt) or email (.eml) file"
ACCEPT_ATTRIBUTE = ".pdf,.png,.jpg,.jpeg,.docx,.odt,.txt,.eml"


@dataclass(frozen=True)
class InspectedFile:
    """A file that passed: what it is, its name fit to show and to download under, its
    size and its SHA-256 (so the audit log can say which file without naming it)."""

    kind: Kind
    filename: str
    size: int
    sha256: str


def attachment_kind_label(content_type: str) -> str:
    for kind in KINDS:
        if kind.content_type == content_type:
            return kind.label
    return "File"


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def safe_filename(name: str) -> str:
    """The upload's name fit to show on a page and to put in a Content-Disposition header:
    its last path part only (no directories, so no '..'), letters, digits, spaces and
    ._()- kept, anything else an underscore, at most NAME_LIMIT characters with its
    extension kept."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r"[^A-Za-z0-9 ._()-]", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    if len(name) > NAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: NAME_LIMIT - len(extension) - 1] + "." + extension
        else:
            name = name[:NAME_LIMIT]
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _read_all(upload: IO[bytes], limit: int) -> bytes:
    upload.seek(0)
    content = upload.read(limit + 1)
    upload.seek(0)
    return content


def _zip_is_clean(content: bytes, kind: Kind) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise AttachmentRefused(f"The selected file is not a readable {kind.label}") from error
    lowered = [name.lower() for name in names]
    if any(name.endswith("vbaproject.bin") or name.startswith("basic/") for name in lowered):
        raise AttachmentRefused(
            "The selected file contains macros: save it without them, or as a PDF"
        )


def _text_kind(content: bytes, extension: str) -> Kind:
    """A file no magic number identifies: accepted only as UTF-8 text (a .txt file) or an
    email (.eml), and never with markup a browser would run."""
    unknown = f"The selected file must be {ACCEPTED}"
    if b"\x00" in content:
        raise AttachmentRefused(unknown)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AttachmentRefused(unknown) from error
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f" for ch in text[:SNIFF_BYTES]):
        raise AttachmentRefused(unknown)
    if extension == "eml":
        first = content.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
        headers = email.parser.BytesHeaderParser().parsebytes(content)
        if not _HEADER_LINE.match(first) or not (headers.get("From") or headers.get("Date")):
            raise AttachmentRefused("The selected file is not an email: it has no email headers")
        return EMAIL
    if _MARKUP.search(content[:SNIFF_BYTES]):
        raise AttachmentRefused("HTML, SVG and XML files cannot be attached: save it as a PDF")
    return TEXT


def inspect_upload(upload: File, *, limit: int | None = None) -> InspectedFile:
    """What the uploaded file is, judged by its content; raises AttachmentRefused with a
    message for the field otherwise. Reads the file (at most `limit` + 1 bytes)."""
    limit = max_bytes() if limit is None else limit
    size = upload.size or 0
    if size == 0:
        raise AttachmentRefused("The selected file is empty")
    if size > limit:
        raise AttachmentRefused(f"The selected file must be smaller than {size_text(limit)}")
    content = _read_all(upload, limit)
    if len(content) > limit:
        raise AttachmentRefused(f"The selected file must be smaller than {size_text(limit)}")
    name = safe_filename(upload.name or "")
    extension = _extension(name)
    guessed = filetype.guess(content[:SNIFF_BYTES])
    if guessed is not None:
        if guessed.extension in _PROGRAMS:
            raise AttachmentRefused("The selected file is a program: programs cannot be attached")
        kind = _BY_FILETYPE.get(guessed.extension)
        if kind is None:
            raise AttachmentRefused(f"The selected file must be {ACCEPTED}")
        if kind in (DOCX, ODT):
            _zip_is_clean(content, kind)
    else:
        kind = _text_kind(content, extension)
    if extension not in kind.extensions:
        named = f"ends .{extension}" if extension else "has no extension"
        raise AttachmentRefused(
            f"The selected file's name {named} but it is a {kind.label}: "
            f"rename it to end .{kind.extensions[0]}, or choose the right file"
        )
    return InspectedFile(
        kind=kind, filename=name, size=len(content), sha256=hashlib.sha256(content).hexdigest()
    )


def attachment_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def store(upload: File, inspected: InspectedFile) -> str:
    """Writes the file to the attachments storage under a new random name (two levels of
    directories from its first characters, so no directory grows too large) and returns
    that name. The caller deletes it (`discard`) if its record is not saved."""
    token = secrets.token_hex(20)
    name = f"{token[:2]}/{token[2:4]}/{token}"
    upload.seek(0)
    saved = attachment_storage().save(name, upload)
    return saved


def discard(stored_name: str) -> None:
    """Removes a stored file whose record was not saved (its transaction rolled back)."""
    if stored_name:
        attachment_storage().delete(stored_name)


def download_response(*, stored_name: str, filename: str, content_type: str) -> FileResponse:
    """The file as a download: never rendered in the browser, never cached, never
    sniffed as another type."""
    response = FileResponse(
        attachment_storage().open(stored_name, "rb"),
        as_attachment=True,
        filename=filename or "attachment",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cache-Control"] = "no-store, private"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response
