"""The file upload field (GOV.UK file upload) for attaching a file to a contact, a check,
a case note or a strategy discussion. The service judges the file by its content
(openmash.core.attachments); its refusal goes beside this field."""

from django import forms

from openmash.core.attachments import ACCEPT_ATTRIBUTE, max_bytes, size_text
from openmash.core.forms import GovukForm


def attachment_field(*, label: str = "Upload a file", required: bool = False) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=(
            "A PDF, PNG or JPEG image, Word (.docx) or OpenDocument (.odt) document, plain "
            f"text or email (.eml) file, smaller than {size_text(max_bytes())}."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        error_messages={
            "required": "Select a file to attach",
            "empty": "The selected file is empty",
            "invalid": "Select a file to attach",
            "missing": "Select a file to attach",
            "max_length": "The selected file's name is too long: rename it",
        },
        max_length=255,
    )


class AttachmentForm(GovukForm):
    # Prefixed, so its field's id differs from the case note form's file field, which the
    # screening and decision pages show above it.
    prefix = "upload"
    # Not required here: the service says "Select a file to attach", so a page (and the
    # API) gets the same message from one place.
    attachment = attachment_field()
