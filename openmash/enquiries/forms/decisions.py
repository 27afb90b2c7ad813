"""The forms a MASH manager fills in to decide, amend, agree or decline a closure, waive a
check, and that a receiving team uses to accept or return a hand-on.

Every field is optional here: the services say what is missing, in the MASH's words, and
the views' refusal handling (`enquiries/views/refusals.py`) puts each message next to its
field.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from openmash.area.models import LevelOfNeed, Outcome
from openmash.contacts.codes import AssessmentFactor, PrimaryNeed
from openmash.contacts.models import ContactPerson
from openmash.core.forms import GovukCheckboxes, GovukForm, GovukRadios
from openmash.enquiries.models import OnwardSharing
from openmash.enquiries.services.decisions import ChildOutcomeInput, DecisionInput, child_field

# The fields a decision has once for a contact about one child, and once for each child of
# a contact about several (ADR 0022).
PER_CHILD_FIELDS = ("level_of_need", "outcome", "primary_need", "receiving_team")

# The widget types that render as several inputs; an error links to the first of them.
PRIMARY_NEED_CHOICES = [("", "Select the primary need"), *PrimaryNeed.choices]


def _level_choices(levels: Sequence[LevelOfNeed]) -> list[tuple[str, str]]:
    return [(str(level.number), f"Level {level.number}: {level.label}") for level in levels]


def _set_levels(field: forms.Field, levels: Sequence[LevelOfNeed]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = _level_choices(levels)
    assert isinstance(field.widget, GovukRadios)
    field.widget.hints = {str(level.number): level.description for level in levels}


def _set_outcomes(field: forms.Field, outcomes: Sequence[Outcome]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = [(outcome.code, outcome.label) for outcome in outcomes]
    assert isinstance(field.widget, GovukRadios)
    field.widget.hints = {outcome.code: outcome.next_steps for outcome in outcomes}


def _level_number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _text_area(label: str, *, rows: int = 4, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class DecisionForm(GovukForm):
    """The manager's decision: level of need, outcome, CIN factors, primary need, rationale."""

    level_of_need = forms.ChoiceField(label="Level of need", required=False, widget=GovukRadios)
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        widget=GovukRadios,
        help_text="The hint under each outcome is what the referrer is told happens next",
    )
    factor_codes = forms.MultipleChoiceField(
        label="Factors identified",
        required=False,
        choices=AssessmentFactor.choices,
        widget=GovukCheckboxes,
        help_text="Children in Need census codes. The concerns in the contact are ticked to "
        "start with: change them to what the MASH has found",
    )
    primary_need = forms.ChoiceField(
        label="Primary need code", required=False, choices=PRIMARY_NEED_CHOICES
    )
    rationale = _text_area(
        "Rationale for the decision",
        rows=6,
        help_text="Stays within the MASH: the referrer is told only the outcome and next steps",
    )
    receiving_team = forms.CharField(
        label="Receiving team",
        required=False,
        help_text="Needed when the case is handed on, for example Eastbridge early help hub",
    )
    # The MASH summary for the receiving team (openmash.enquiries.summary).
    shared_finding_ids = forms.MultipleChoiceField(
        label="Findings the agencies released to the receiving team",
        required=False,
        widget=GovukCheckboxes,
        help_text="Tick what the receiving team should see. Each is passed on as its agency "
        "released it, in full or as its researcher's summary. Findings an agency did not "
        "release are not listed and cannot be passed on",
    )
    summary = _text_area(
        "Summary for the receiving team",
        rows=5,
        help_text="What the team needs to know to act: the MASH's view of the child's needs "
        "and what it asks of them. Do not repeat findings an agency did not release",
    )
    worker_risks = _text_area(
        "Risks to workers visiting the home",
        rows=3,
        help_text="For example, a person in the home who is violent or hostile to "
        "professionals. Say 'None known' if there are none",
    )
    share_rationale = forms.BooleanField(
        label="Also share the rationale with the receiving team",
        required=False,
        help_text="Leave unticked to keep the rationale within the MASH",
    )

    def __init__(
        self,
        *args: Any,
        levels: Sequence[LevelOfNeed],
        outcomes: Sequence[Outcome],
        released: Sequence[Mapping[str, Any]] = (),
        children: Sequence[ContactPerson] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        shared = self.fields["shared_finding_ids"]
        assert isinstance(shared, forms.MultipleChoiceField)
        shared.choices = [(str(item["finding"]), released_label(item)) for item in released]
        _set_levels(self.fields["level_of_need"], levels)
        _set_outcomes(self.fields["outcome"], outcomes)
        # A contact about several children: each child's own level of need, outcome,
        # primary need and receiving team, in place of the contact's.
        self.children = list(children) if len(children) > 1 else []
        for child in self.children:
            name = child.full_name
            level = forms.ChoiceField(
                label=f"Level of need for {name}", required=False, widget=GovukRadios
            )
            _set_levels(level, levels)
            outcome = forms.ChoiceField(
                label=f"Outcome for {name}",
                required=False,
                widget=GovukRadios,
                help_text="The hint under each outcome is what the referrer is told happens next",
            )
            _set_outcomes(outcome, outcomes)
            self.fields[child_field(child.pk, "level_of_need")] = level
            self.fields[child_field(child.pk, "outcome")] = outcome
            self.fields[child_field(child.pk, "receiving_team")] = forms.CharField(
                label=f"Receiving team for {name}",
                required=False,
                help_text="Needed when this child is handed on",
            )
            self.fields[child_field(child.pk, "primary_need")] = forms.ChoiceField(
                label=f"Primary need code for {name}",
                required=False,
                choices=PRIMARY_NEED_CHOICES,
            )
        if self.children:
            for name in PER_CHILD_FIELDS:
                del self.fields[name]
        self.style_widgets()

    def child_groups(self) -> list[tuple[ContactPerson, list[forms.BoundField]]]:
        """Each child with their four fields, for the template to show one by one."""
        return [
            (child, [self[child_field(child.pk, name)] for name in PER_CHILD_FIELDS])
            for child in self.children
        ]

    def _child_inputs(self) -> list[ChildOutcomeInput]:
        data = self.cleaned_data
        inputs = []
        for child in self.children:
            outcome = data.get(child_field(child.pk, "outcome")) or ""
            if not outcome:
                continue  # the service says the child needs one, beside their field
            inputs.append(
                ChildOutcomeInput(
                    person_id=child.pk,
                    level_of_need=_level_number(
                        data.get(child_field(child.pk, "level_of_need")) or ""
                    ),
                    outcome=outcome,
                    primary_need=data.get(child_field(child.pk, "primary_need")) or "",
                    receiving_team=data.get(child_field(child.pk, "receiving_team")) or "",
                )
            )
        return inputs

    def decision_input(self) -> DecisionInput:
        data = self.cleaned_data
        children = self._child_inputs()
        return DecisionInput(
            level_of_need=_level_number(data.get("level_of_need") or ""),
            outcome=data.get("outcome") or "",
            factor_codes=list(data.get("factor_codes") or []),
            primary_need=data.get("primary_need") or "",
            rationale=data.get("rationale") or "",
            receiving_team=data.get("receiving_team") or "",
            summary=data.get("summary") or "",
            worker_risks=data.get("worker_risks") or "",
            share_rationale=bool(data.get("share_rationale")),
            shared_finding_ids=[
                int(value) for value in data.get("shared_finding_ids") or [] if value.isdigit()
            ],
            children=children,
            # Several children, none given an outcome: the service still asks for each.
            each_child=bool(self.children),
        )


class AmendDecisionForm(DecisionForm):
    """A new decision that amends the one shown (`decision_id`), with the reason."""

    decision_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    amendment_reason = _text_area(
        "Reason for the amendment",
        help_text="For example, the early help team returned the case, or new information",
    )

    field_order = [
        "amendment_reason",
        "level_of_need",
        "outcome",
        "factor_codes",
        "primary_need",
        "rationale",
        "receiving_team",
        "shared_finding_ids",
        "summary",
        "worker_risks",
        "share_rationale",
    ]


def released_label(item: Mapping[str, Any]) -> str:
    how = "in full" if item["sharing"] == OnwardSharing.FULL else "their summary"
    return f"{item['agency']} about {item['person']} ({how}): {item['text']}"


class ClosureAgreeForm(GovukForm):
    """Agree to close at screening: the manager adds what the decision needs."""

    level_of_need = forms.ChoiceField(label="Level of need", required=False, widget=GovukRadios)
    primary_need = forms.ChoiceField(
        label="Primary need code", required=False, choices=PRIMARY_NEED_CHOICES
    )

    def __init__(self, *args: Any, levels: Sequence[LevelOfNeed], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "agree")
        kwargs.setdefault("initial", {"level_of_need": "1"})
        super().__init__(*args, **kwargs)
        _set_levels(self.fields["level_of_need"], levels)

    def level_number(self) -> int:
        level = self.cleaned_data.get("level_of_need") or ""
        return int(level) if level.isdigit() else 0


class ClosureDeclineForm(GovukForm):
    reason = _text_area(
        "Why should the contact not be closed?",
        help_text="The screener sees this, and the contact goes back to them",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "decline")
        super().__init__(*args, **kwargs)


class WaiveCheckForm(GovukForm):
    reason = _text_area("Why is this check no longer needed?")


class HandOnAcceptForm(GovukForm):
    allocated_worker = forms.CharField(
        label="Worker allocated (optional)",
        required=False,
        help_text="The name of the worker who will contact the family, if known. The "
        "referrer is told who it is",
    )
    worker_contact = forms.CharField(
        label="How to contact them (optional)",
        required=False,
        help_text="A phone number or team email address the referrer can use",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "accept")
        super().__init__(*args, **kwargs)


class HandOnReturnForm(GovukForm):
    reason = _text_area(
        "Why are you returning the case to the MASH?",
        help_text="A MASH manager reads this and amends the decision",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "return")
        super().__init__(*args, **kwargs)
