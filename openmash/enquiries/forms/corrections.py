"""The form to correct a person's details: the contact form's own person fields (so a
detail is typed, and its typing mistakes caught, as at intake), without the role, and the
reason. The service checks every rule (openmash.enquiries.services.corrections), by
intake's rules, and its errors are put next to these fields."""

from typing import Any

from django import forms

from openmash.contacts.forms import PersonForm
from openmash.contacts.models import ContactPerson
from openmash.enquiries.services.corrections import CORRECTABLE


class PersonCorrectionForm(PersonForm):
    reason = forms.CharField(
        label="Why are you correcting these details?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "Say where the right details come from, for example the health visitor "
            "confirmed the NHS number. The previous details are kept."
        ),
    )

    def __init__(self, *args: Any, person: ContactPerson, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(person, name) for name in CORRECTABLE})
        super().__init__(*args, **kwargs)
        # The person's role is not a detail to correct here.
        del self.fields["role"]

    def changes(self) -> dict[str, Any]:
        """Every detail as typed, for the service to compare with the person's own."""
        data = self.cleaned_data
        return {
            name: data.get(name) if name in _DATES_AND_NUMBERS else (data.get(name) or "")
            for name in CORRECTABLE
        }


_DATES_AND_NUMBERS = {"date_of_birth", "estimated_age", "expected_birth_date"}
