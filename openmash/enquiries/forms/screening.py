"""The screening queue's filters and the screening page's action forms.

The forms only parse what was sent; the services check every rule (a rationale given,
a rating chosen, agencies that are MASH partners) and their EnquiryInvalid errors are
put next to these forms' fields, so a rule is written once.
"""

from collections.abc import Iterable
from typing import Any

from django import forms

from openmash.accounts.models import Agency, User
from openmash.area.models import Outcome, RagLevel
from openmash.contacts.codes import ContactState
from openmash.core.forms import GovukCheckboxes, GovukForm, GovukRadios
from openmash.enquiries import workflow
from openmash.enquiries.presenters.screening import rag_timescale_text
from openmash.enquiries.selectors.screening import (
    ASSIGNED_TO_ME,
    UNASSIGNED,
    UNRATED,
    QueueFilters,
)

RATIONALE_ROWS = 5


def _textarea() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": RATIONALE_ROWS})


class QueueFilterForm(GovukForm):
    """The queue's filters, sent by GET so a filtered queue can be bookmarked."""

    state = forms.MultipleChoiceField(
        label="State", required=False, widget=GovukCheckboxes, choices=()
    )
    rag = forms.MultipleChoiceField(
        label="RAG rating", required=False, widget=GovukCheckboxes, choices=()
    )
    assigned = forms.ChoiceField(label="Assigned to", required=False, choices=())
    overdue = forms.BooleanField(label="Overdue only", required=False)
    immediate = forms.BooleanField(label="Immediate risk only", required=False)
    due_soon = forms.BooleanField(label="Due in the next 4 hours only", required=False)

    def __init__(
        self, *args: Any, levels: Iterable[RagLevel], assignees: Iterable[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        state_field: Any = self.fields["state"]
        state_field.choices = [
            (state.value, state.label) for state in ContactState if state in workflow.OPEN_STATES
        ]
        rag_field: Any = self.fields["rag"]
        rag_field.choices = [(level.code, level.label) for level in levels] + [
            (UNRATED, "Not rated")
        ]
        assigned_field: Any = self.fields["assigned"]
        assigned_field.choices = [
            ("", "Anyone or nobody"),
            (ASSIGNED_TO_ME, "Me"),
            (UNASSIGNED, "Nobody (unassigned)"),
        ] + [(str(user.pk), user.display_name) for user in assignees]

    def filters(self) -> QueueFilters:
        """The filters that were valid; anything else is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return QueueFilters(
            states=tuple(data.get("state") or ()),
            rags=tuple(data.get("rag") or ()),
            overdue_only=bool(data.get("overdue")),
            assigned=data.get("assigned") or "",
            immediate_only=bool(data.get("immediate")),
            due_soon_only=bool(data.get("due_soon")),
        )

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return bool(
            filters.states
            or filters.rags
            or filters.overdue_only
            or filters.assigned
            or filters.immediate_only
            or filters.due_soon_only
        )


class ScreeningActionForm(GovukForm):
    """An action on the screening page (a service's errors are put on its fields by
    openmash.enquiries.views.refusals.attempt)."""


class RateForm(ScreeningActionForm):
    rag = forms.ChoiceField(
        label="RAG rating",
        required=False,
        choices=(),
        error_messages={"invalid_choice": "Select a RAG rating from the list"},
    )
    rationale = forms.CharField(
        label="Rationale for the rating", required=False, widget=_textarea()
    )

    def __init__(
        self, *args: Any, levels: Iterable[RagLevel], is_regrade: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        levels = list(levels)
        rag: Any = self.fields["rag"]
        rag.widget = GovukRadios(hints={level.code: rag_timescale_text(level) for level in levels})
        rag.choices = [(level.code, level.label) for level in levels]
        if is_regrade:
            rag.label = "Change the RAG rating"
            self.fields["rationale"].label = "Reason for the change"


class AgenciesForm(ScreeningActionForm):
    agencies = forms.MultipleChoiceField(
        label="Agencies to ask to check their records",
        required=False,
        widget=GovukCheckboxes,
        choices=(),
        error_messages={"invalid_choice": "Select agencies from the list of MASH partners"},
    )

    def __init__(self, *args: Any, agencies: Iterable[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["agencies"]
        field.choices = [(str(agency.pk), agency.name) for agency in agencies]

    @property
    def has_choices(self) -> bool:
        field: Any = self.fields["agencies"]
        return bool(field.choices)

    def agency_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("agencies") or []]


class OpenEnquiryForm(AgenciesForm):
    """Open a MASH enquiry: the agencies the RAG rating usually asks come ticked."""

    def __init__(
        self,
        *args: Any,
        agencies: Iterable[Agency],
        level: RagLevel | None,
        **kwargs: Any,
    ) -> None:
        agencies = list(agencies)
        if level is not None:
            defaults = set(level.default_check_agency_types or [])
            kwargs["initial"] = {
                "agencies": [
                    str(agency.pk) for agency in agencies if agency.agency_type in defaults
                ]
            }
        super().__init__(*args, agencies=agencies, **kwargs)
        self.fields["agencies"].help_text = (
            "Ticked: the agencies usually asked at this RAG rating. Untick them all to send "
            "the contact straight to a manager for a decision."
        )


class RequestMoreChecksForm(AgenciesForm):
    def __init__(self, *args: Any, agencies: Iterable[Agency], **kwargs: Any) -> None:
        super().__init__(*args, agencies=agencies, **kwargs)
        self.fields["agencies"].label = "Agencies to ask as well"


class ProposeClosureForm(ScreeningActionForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=(),
        widget=GovukRadios,
        error_messages={"invalid_choice": "Select no further action or information and advice"},
    )
    rationale = forms.CharField(
        label="Why the contact can be closed", required=False, widget=_textarea()
    )

    def __init__(self, *args: Any, outcomes: Iterable[Outcome], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome: Any = self.fields["outcome"]
        outcome.choices = [(each.code, each.label) for each in outcomes]


class PassToWorkerForm(ScreeningActionForm):
    allocated_worker = forms.CharField(label="Allocated worker's name", required=False)
    rationale = forms.CharField(
        label="What you have passed on and why", required=False, widget=_textarea()
    )


class ConflictResolveForm(ScreeningActionForm):
    """A screener's decision on an identifier conflict (openmash.linkage.conflicts): the
    service checks what is required, so its errors go beside these fields."""

    outcome = forms.ChoiceField(
        label="Are these records about the same child?",
        required=False,
        widget=GovukRadios,
        choices=[
            ("same_child", "Same child (the other record has a typo)"),
            ("different", "Different children"),
        ],
        error_messages={"invalid_choice": "Select same child or different children"},
    )
    wrong_holder = forms.ChoiceField(
        label="If different children, which record holds the number in error?",
        required=False,
        widget=GovukRadios,
        choices=(),
        error_messages={"invalid_choice": "Select which record holds the number in error"},
    )
    reason = forms.CharField(
        label="Reason for your decision",
        help_text="Say how you know: who you checked with, and what they said.",
        required=False,
        widget=_textarea(),
    )

    def __init__(self, *args: Any, holders: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wrong: Any = self.fields["wrong_holder"]
        wrong.choices = holders


class ConflictUndoForm(ScreeningActionForm):
    reason = forms.CharField(
        label="Why is this decision wrong?", required=False, widget=_textarea()
    )


class _References(forms.MultipleChoiceField):
    """The contacts ticked in the queue: any reference is accepted here; the service
    skips those it cannot assign, each with the reason."""

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and 0 < len(value) <= 40


class AssignForm(ScreeningActionForm):
    """A MASH manager assigns or transfers a contact to a named worker."""

    worker = forms.ChoiceField(
        label="Assign to",
        required=False,
        choices=(),
        error_messages={"invalid_choice": "Select the worker to assign to"},
    )

    def __init__(self, *args: Any, candidates: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["worker"]
        field.choices = [("", "Choose a worker")] + [
            (str(candidate.user.pk), candidate.label) for candidate in candidates
        ]


class BulkAssignForm(AssignForm):
    """Several contacts ticked in the screening queue, assigned to one worker."""

    contacts = _References(label="Contacts to assign", required=False)

    def __init__(self, *args: Any, candidates: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, candidates=candidates, **kwargs)
        self.fields["worker"].label = "Assign selected to"

    @property
    def selected(self) -> set[str]:
        data = getattr(self, "cleaned_data", None) or {}
        return set(data.get("contacts") or [])
