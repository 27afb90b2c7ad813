"""The referrer's added information as the contact and screening pages show it."""

from dataclasses import dataclass

from django.utils import timezone

from openmash.contacts.models import ContactAddition


@dataclass(frozen=True)
class AdditionPresenter:
    addition: ContactAddition
    # On the screening page: not yet seen by a screener when the page was opened.
    is_new: bool = False

    @property
    def text(self) -> str:
        return self.addition.text

    @property
    def added(self) -> str:
        return f"{timezone.localtime(self.addition.added_at):%-d %b %Y %H:%M}"

    @property
    def added_by(self) -> str:
        if self.addition.added_by_token is not None:
            return f"{self.addition.added_by_token.name} (system)"
        if self.addition.added_by_user is not None:
            return self.addition.added_by_user.display_name
        return "The referrer"
