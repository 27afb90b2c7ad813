from typing import Any

from django import forms

from openmash.core.forms import GovukCheckboxes, GovukForm
from openmash.core.roles import Role
from openmash.two_factor.services import NEVER_EXEMPT


class CodeForm(GovukForm):
    """A code after the password: six digits from an authenticator app, or a recovery
    code. Whether it is right is the service's to say (two_factor_check)."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        error_messages={
            "required": "Enter the code from your authenticator app, or a recovery code",
            "max_length": "Code must be 40 characters or fewer",
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "govuk-input--width-10",
            }
        ),
    )


class SetUpCodeForm(GovukForm):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        help_text="Type the 6-digit code the app shows for OpenMASH.",
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app",
            "max_length": "Enter the 6-digit code from your authenticator app",
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input--width-5",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app")
        return code


class ExemptionsForm(GovukForm):
    roles = forms.MultipleChoiceField(
        label="Roles that may sign in without a second factor",
        required=False,
        help_text="Select none for everyone to use a second factor (recommended). "
        "Administrators always use one.",
        widget=GovukCheckboxes,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(value, label) for value, label in Role.choices if value not in NEVER_EXEMPT]
        self.fields["roles"].choices = choices  # type: ignore[attr-defined]


class SecurityKeyNameForm(GovukForm):
    """What a person calls a security key or passkey they are adding, to tell their keys
    apart on their two-factor page."""

    name = forms.CharField(
        label="What do you want to call this security key or passkey?",
        max_length=64,
        help_text="For example, 'Blue USB key' or 'Work laptop fingerprint'. "
        "It helps you tell your keys apart.",
        error_messages={
            "required": "Enter a name for your security key or passkey",
            "max_length": "Name must be 64 characters or fewer",
        },
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise forms.ValidationError("Enter a name for your security key or passkey")
        return name
