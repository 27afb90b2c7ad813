from django import forms

from openmash.core.forms import GovukForm


class AdditionForm(GovukForm):
    """The referrer's further information about their contact. Checked by the service."""

    text = forms.CharField(
        label="Information to add",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you have learned since you made the contact. The MASH sees it straight away",
    )
