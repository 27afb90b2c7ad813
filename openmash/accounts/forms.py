"""The forms of a person's own account: asking for a link to set a new password, setting
it, and changing it; in GOV.UK style and words."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)

from openmash.core.forms import GovukForm, GovukFormMixin


class PasswordResetRequestForm(GovukForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The address your OpenMASH account uses: usually your work email.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
            "max_length": "Email address must be 254 characters or fewer",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


def new_password_hint() -> str:
    """What Django's password validators (AUTH_PASSWORD_VALIDATORS) ask for, in words."""
    length = next(
        (
            validator.min_length
            for validator in get_default_password_validators()
            if isinstance(validator, MinimumLengthValidator)
        ),
        8,
    )
    return (
        f"Use at least {length} characters. A few words strung together are easy to "
        "remember; do not use a common password, only numbers, or anything like your "
        "name or username."
    )


def _word_new_password(form: SetPasswordForm) -> None:
    """Labels, hint and messages for the new password and its repeat (Django's
    SetPasswordMixin fields, whose validators decide what is allowed)."""
    form.error_messages = {
        **form.error_messages,
        "password_mismatch": "The new passwords do not match: type the same one twice",
    }
    first, second = form.fields["new_password1"], form.fields["new_password2"]
    first.label, first.help_text = "New password", new_password_hint()
    first.error_messages["required"] = "Enter a new password"
    second.label, second.help_text = "Type the new password again", ""
    second.error_messages["required"] = "Type the new password again"


class SetNewPasswordForm(GovukFormMixin, SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _word_new_password(self)
        self.style_widgets()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_error_widgets()


class ChangePasswordForm(GovukFormMixin, PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _word_new_password(self)
        # A new dict per form (_word_new_password), so the class keeps its own words.
        self.error_messages["password_incorrect"] = "Your current password is not right"  # noqa: S105
        current = self.fields["old_password"]
        current.label = "Current password"
        current.error_messages["required"] = "Enter your current password"
        self.style_widgets()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_error_widgets()
