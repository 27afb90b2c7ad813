"""The form to add a case note, or a correction of one. The service checks every rule
(openmash.enquiries.services.notes); its errors go beside these fields."""

from django import forms

from openmash.core.forms import GovukForm, GovukRadios
from openmash.enquiries.forms.attachments import attachment_field
from openmash.enquiries.models import CaseNoteType


class CaseNoteForm(GovukForm):
    note_type = forms.ChoiceField(
        label="Type of note",
        required=False,
        choices=CaseNoteType.choices,
        widget=GovukRadios,
        error_messages={"invalid_choice": "Select the type of note"},
    )
    text = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Notes cannot be changed once added. To correct one, add a correction.",
    )
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachment = attachment_field(label="Attach a file (optional)")
