"""The forms a manager allocates agency checks and hand-ons with (issue 13, item 4): one
item on its own page, or several ticked in a queue. They only parse what was sent; the
allocation services check every rule (a researcher of the check's agency, a member of
the hand-on's team, a reason for a transfer) and their errors are put by these fields."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from openmash.core.forms import GovukForm
from openmash.enquiries.selectors.allocation import Workload

REASON_ROWS = 3


class _Ids(forms.MultipleChoiceField):
    """The items ticked in a queue: any id is accepted here; the service skips those it
    cannot assign, each with the reason."""

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and value.isdigit() and len(value) <= 19


class WorkAssignForm(GovukForm):
    """Assign or transfer one item to a named worker, each shown with their open work."""

    worker = forms.ChoiceField(
        label="Assign to",
        required=False,
        choices=(),
        error_messages={"invalid_choice": "Select the worker to assign to"},
    )
    reason = forms.CharField(
        label="Reason for the transfer",
        help_text="Needed when someone already has it: for example, they are on leave",
        required=False,
        widget=forms.Textarea(attrs={"rows": REASON_ROWS}),
    )
    # Who the manager saw with the item (empty: nobody), so a move someone else made
    # meanwhile is refused rather than overwritten.
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, workers: Iterable[Workload], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["worker"]
        field.choices = [("", "Choose a worker")] + [
            (str(worker.user.pk), worker.label) for worker in workers
        ]

    def seen_value(self) -> object:
        seen = (self.cleaned_data.get("seen") or "").strip()
        return seen or None


class _BulkAssignForm(WorkAssignForm):
    items_field = ""

    def __init__(self, *args: Any, workers: Iterable[Workload], **kwargs: Any) -> None:
        super().__init__(*args, workers=workers, **kwargs)
        self.fields["worker"].label = "Assign selected to"
        self.fields[
            "reason"
        ].help_text = (
            "Needed when any you selected is already someone's: for example, they are on leave"
        )
        del self.fields["seen"]

    @property
    def selected(self) -> set[str]:
        data = getattr(self, "cleaned_data", None) or {}
        return set(data.get(self.items_field) or [])

    def seen_by_item(self, data: QueryDict | Mapping[str, Any]) -> dict[int, object]:
        """For each ticked item, who the manager saw with it: its row's hidden seen-<id>
        field (empty: nobody). An item without one is left for the service to read."""
        seen: dict[int, object] = {}
        for value in self.selected:
            key = f"seen-{value}"
            if key in data:
                seen[int(value)] = (data.get(key) or "").strip() or None
        return seen


class ChecksAssignForm(_BulkAssignForm):
    items_field = "checks"
    checks = _Ids(label="Checks to assign", required=False)


class HandOnsAssignForm(_BulkAssignForm):
    items_field = "hand_ons"
    hand_ons = _Ids(label="Hand-ons to assign", required=False)
