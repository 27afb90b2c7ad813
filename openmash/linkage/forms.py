"""Forms of the index feed pages: uploading a feed, and the agency's index settings."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from openmash.accounts.models import Agency
from openmash.core.forms import GovukForm, GovukRadios
from openmash.linkage.feeds import MAX_FILE_BYTES
from openmash.linkage.models import ImportMode

MODE_HINTS = {
    ImportMode.REPLACE: (
        "Replace your agency's whole index with this file: records not in the file are "
        "removed, except those a screener confirmed as a person in a contact, which are "
        "kept and marked as no longer held by your agency"
    ),
    ImportMode.DELTA: "Add and update these records only: nothing is removed",
}


class IndexImportForm(GovukForm):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Agency",
        to_field_name="slug",
        # Shown only to someone who manages several agencies' feeds; the view works out
        # the agency (and refuses one not theirs) before the form is checked.
        required=False,
        empty_label=None,
        error_messages={
            "required": "Select the agency whose index this is",
            "invalid_choice": "Select the agency whose index this is",
        },
    )
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="UTF-8 CSV with a header row, in the format described above.",
        widget=forms.FileInput(attrs={"class": "govuk-file-upload", "accept": ".csv,text/csv"}),
        error_messages={
            "required": "Select a CSV file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV file",
            "missing": "Select a CSV file",
        },
    )
    mode = forms.ChoiceField(
        label="How should this file change your agency's index?",
        choices=[(mode.value, MODE_HINTS[mode]) for mode in ImportMode],
        widget=GovukRadios,
        error_messages={
            "required": "Select whether the file replaces your index or adds to it",
            "invalid_choice": "Select whether the file replaces your index or adds to it",
        },
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = agencies

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The selected file must be smaller than {MAX_FILE_BYTES // (1024 * 1024)} MB"
            )
        return upload


class IndexSettingsForm(GovukForm):
    visible_to_mash_screeners = forms.TypedChoiceField(
        label="Who sees that your agency knows a person?",
        choices=[
            ("yes", "MASH screeners and managers, and your agency's researchers"),
            ("no", "Only your agency's researchers"),
        ],
        coerce=lambda value: value == "yes",
        widget=GovukRadios,
        error_messages={
            "required": "Select who sees your agency's “known to” flags",
            "invalid_choice": "Select who sees your agency's “known to” flags",
        },
    )
