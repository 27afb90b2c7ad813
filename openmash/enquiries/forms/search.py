"""The Find a child form: what a worker knows about a child, any of it.

Sent by POST only, so nothing typed ever appears in an address or a server's access log;
the view keeps the cleaned terms in the session under an opaque id (views/search.py).
"""

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from openmash.core.forms import GovukDateField, GovukForm
from openmash.linkage.search import SearchTerms
from openmash.people.identifiers import (
    nhs_number_digits,
    nhs_number_is_valid,
    postcode_is_valid,
    postcode_normal,
    upn_is_valid,
    upn_normal,
)

REFERENCE = re.compile(r"^MASH-\d{4}-\d{1,6}$")
NOTHING_TYPED = "Enter at least one thing you know about the child, such as their name"
FIELDS = ("name", "date_of_birth", "nhs_number", "upn", "postcode", "address", "reference")


def _clean_text(value: str) -> str:
    return " ".join((value or "").replace("\x00", "").split())


def split_name(name: str) -> tuple[str, str]:
    """(given names, family name) of a name as typed: 'Ellie May Harper' -> ('Ellie
    May', 'Harper'); 'Harper, Ellie' -> ('Ellie', 'Harper'); one word is a surname. The
    other order ('Harper Ellie') is tried by the search itself."""
    name = _clean_text(name)
    if "," in name:
        family, _, given = name.partition(",")
        return _clean_text(given), _clean_text(family)
    words = name.split(" ")
    if len(words) == 1:
        return "", words[0]
    return " ".join(words[:-1]), words[-1]


class FindChildForm(GovukForm):
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=200,
        help_text="Full name or surname, in either order. Spelling mistakes and "
        "nicknames are allowed for.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = GovukDateField(
        label="Date of birth",
        field_label="date of birth",
        required=False,
        help_text="For example, 27 3 2019",
    )
    nhs_number = forms.CharField(
        label="NHS number",
        required=False,
        max_length=20,
        help_text="10 digits, for example 943 476 5919",
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-10", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    upn = forms.CharField(
        label="Unique pupil number (UPN)",
        required=False,
        max_length=20,
        help_text="A letter and 12 more letters or digits",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label="First line of address",
        required=False,
        max_length=200,
        help_text="Or its start, for example 12 Mill Lane",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reference = forms.CharField(
        label="Contact reference",
        required=False,
        max_length=20,
        help_text="For example, MASH-2026-000123",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        name = _clean_text(self.cleaned_data["name"])
        if name and not any(char.isalpha() for char in name):
            raise forms.ValidationError("Name must include letters")
        return name

    def clean_date_of_birth(self) -> date | None:
        born: date | None = self.cleaned_data["date_of_birth"]
        if born is not None:
            if born > timezone.localdate():
                raise forms.ValidationError("Date of birth must be today or in the past")
            if born.year < 1900:
                raise forms.ValidationError("Date of birth must be after 1900")
        return born

    def clean_nhs_number(self) -> str:
        value = _clean_text(self.cleaned_data["nhs_number"])
        if value and not nhs_number_is_valid(value):
            raise forms.ValidationError("Enter a real NHS number: 10 digits, like 943 476 5919")
        return nhs_number_digits(value)

    def clean_upn(self) -> str:
        value = _clean_text(self.cleaned_data["upn"])
        if value and not upn_is_valid(value):
            raise forms.ValidationError(
                "Enter a real unique pupil number: a letter then 12 letters or digits"
            )
        return upn_normal(value)

    def clean_postcode(self) -> str:
        value = _clean_text(self.cleaned_data["postcode"])
        if value and not postcode_is_valid(value):
            raise forms.ValidationError("Enter a full postcode, like LS1 4AP")
        return postcode_normal(value) if value else ""

    def clean_address(self) -> str:
        value = _clean_text(self.cleaned_data["address"])
        if value and len(value) < 2:
            raise forms.ValidationError("First line of address must be 2 characters or more")
        return value

    def clean_reference(self) -> str:
        value = _clean_text(self.cleaned_data["reference"]).upper()
        if value and not REFERENCE.match(value):
            raise forms.ValidationError("Enter a contact reference like MASH-2026-000123")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not any(cleaned.get(name) for name in FIELDS):
            raise forms.ValidationError(NOTHING_TYPED)
        return cleaned

    def stored(self) -> dict[str, str]:
        """The cleaned terms, JSON-ready, to keep server-side under a search id."""
        data = self.cleaned_data
        born = data.get("date_of_birth")
        return {
            name: (born.isoformat() if born else "")
            if name == "date_of_birth"
            else str(data.get(name) or "")
            for name in FIELDS
        }


def initial_from(stored: dict[str, str]) -> dict[str, Any]:
    """The form's initial values from stored terms (the search shown again)."""
    initial: dict[str, Any] = {name: stored.get(name, "") for name in FIELDS}
    born = stored.get("date_of_birth") or ""
    initial["date_of_birth"] = date.fromisoformat(born) if born else None
    return initial


def terms_from(stored: dict[str, str]) -> SearchTerms:
    given, family = split_name(stored.get("name", ""))
    born = stored.get("date_of_birth") or ""
    return SearchTerms(
        given_names=given,
        family_name=family,
        date_of_birth=date.fromisoformat(born) if born else None,
        nhs_number=stored.get("nhs_number", ""),
        upn=stored.get("upn", ""),
        postcode=stored.get("postcode", ""),
        address=stored.get("address", ""),
        reference=stored.get("reference", ""),
    )


def fields_used(stored: dict[str, str]) -> list[str]:
    """Which fields were searched on (never what was typed in them): for the audit log."""
    return [name for name in FIELDS if stored.get(name)]
