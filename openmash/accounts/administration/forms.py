"""The forms of the user administration pages, in GOV.UK style and words."""

from typing import Any

from django import forms

from openmash.accounts.models import Agency, DeactivationReason
from openmash.accounts.services import UserDetails
from openmash.core.forms import GovukCheckboxes, GovukForm, GovukRadios
from openmash.core.roles import ROLE_SUMMARIES, Role


def _agency_choices() -> list[tuple[str, str]]:
    return [("", "Select an agency")] + [
        (str(agency.pk), agency.name) for agency in Agency.objects.order_by("name")
    ]


class UserDetailsForm(GovukForm):
    """Name, username, email address, agency, job title and phone. The service checks
    what must be unique and what goes with what (FieldErrors, shown beside each field)."""

    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={
            "required": "Enter their first name",
            "max_length": "Enter 150 characters or fewer",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={
            "required": "Enter their last name",
            "max_length": "Enter 150 characters or fewer",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        label="Username",
        help_text="What they type to sign in: letters, digits and @ . + - _ only, like jo.bloggs",
        max_length=150,
        error_messages={
            "required": "Enter a username",
            "max_length": "Enter a username of 150 characters or fewer",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    email = forms.CharField(
        label="Email address",
        help_text="Their work email. The link to set their password is sent there.",
        max_length=254,
        error_messages={
            "required": "Enter their email address",
            "max_length": "Enter an email address of 254 characters or fewer",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    agency = forms.ChoiceField(
        label="Agency",
        help_text="The organisation they work for. An agency researcher researches this "
        "agency's records.",
        error_messages={"required": "Select their agency", "invalid_choice": "Select their agency"},
    )
    job_title = forms.CharField(
        label="Job title (optional)",
        required=False,
        max_length=120,
        error_messages={"max_length": "Enter a job title of 120 characters or fewer"},
    )
    phone = forms.CharField(
        label="Phone number (optional)",
        required=False,
        max_length=40,
        error_messages={"max_length": "Enter a phone number of 40 characters or fewer"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "govuk-input--width-20"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = _agency_choices()  # type: ignore[attr-defined]
        self.fields["agency"].widget = forms.Select(
            choices=self.fields["agency"].choices  # type: ignore[attr-defined]
        )
        self.style_widgets()

    def details(self) -> UserDetails:
        data = self.cleaned_data
        return UserDetails(
            first_name=data["first_name"],
            last_name=data["last_name"],
            username=data["username"],
            email=data["email"],
            agency_id=int(data["agency"]),
            job_title=data.get("job_title", ""),
            phone=data.get("phone", ""),
        )


def _roles_field(grantable: frozenset[Role]) -> forms.MultipleChoiceField:
    roles = [role for role in Role if role in grantable]
    return forms.MultipleChoiceField(
        label="Roles",
        help_text="Select every role they hold. Each gives them the pages it describes.",
        choices=[(role.value, role.label) for role in roles],
        error_messages={
            "required": "Select at least one role",
            "invalid_choice": "Select only the roles listed",
        },
        widget=GovukCheckboxes(hints={role.value: ROLE_SUMMARIES[role] for role in roles}),
    )


class UserAddForm(UserDetailsForm):
    """A new account: its details and roles (only the roles the administrator may give)."""

    def __init__(self, *args: Any, grantable: frozenset[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"] = _roles_field(grantable)

    def roles(self) -> set[Role]:
        return {Role(value) for value in self.cleaned_data["roles"]}


class UserRolesForm(GovukForm):
    def __init__(self, *args: Any, grantable: frozenset[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"] = _roles_field(grantable)

    def roles(self) -> set[Role]:
        return {Role(value) for value in self.cleaned_data["roles"]}


# What an administrator may give as the reason (dormant accounts are the account loop's).
REASONS_GIVEN_BY_A_PERSON = [
    DeactivationReason.LEFT,
    DeactivationReason.SECURITY,
    DeactivationReason.OTHER,
]


class DeactivateForm(GovukForm):
    reason = forms.ChoiceField(
        label="Why are you deactivating this account?",
        choices=[(reason.value, reason.label) for reason in REASONS_GIVEN_BY_A_PERSON],
        error_messages={
            "required": "Select why you are deactivating the account",
            "invalid_choice": "Select why you are deactivating the account",
        },
        widget=GovukRadios,
    )


STATUS_CHOICES = [
    ("", "Active and deactivated"),
    ("active", "Active"),
    ("deactivated", "Deactivated"),
]


class UserFilterForm(forms.Form):
    """The list's filters (GET). Anything it does not know is ignored, never an error."""

    agency = forms.ChoiceField(label="Agency", required=False)
    role = forms.ChoiceField(label="Role", required=False)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = [("", "All agencies"), *_agency_choices()[1:]]
        self.fields["agency"].choices = agencies  # type: ignore[attr-defined]
        roles = [("", "All roles"), *((role.value, role.label) for role in Role)]
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget = forms.Select(
                choices=field.choices,  # type: ignore[attr-defined]
                attrs={"class": "govuk-select"},
            )

    def chosen(self) -> tuple[int | None, Role | None, str]:
        if not self.is_valid():
            return None, None, ""
        data = self.cleaned_data
        agency = int(data["agency"]) if data.get("agency") else None
        role = Role(data["role"]) if data.get("role") else None
        return agency, role, data.get("status") or ""
