"""The forms of a strategy discussion. Every field is optional here: the services say
what is missing, in the MASH's words, and the views put each message beside its field."""

from collections.abc import Sequence
from typing import Any

from django import forms

from openmash.accounts.models import Agency, User
from openmash.core.forms import GovukCheckboxes, GovukDateField, GovukForm, GovukRadios
from openmash.strategy.models import Attendance, DiscussionOutcome, Invitation
from openmash.strategy.services import ActionInput, ScheduleInput

NOBODY = [("", "Nobody named")]


def _text_area(label: str, *, rows: int = 4, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _person_label(person: User) -> str:
    agency = person.agency.name if person.agency else ""
    title = f", {person.job_title}" if person.job_title else ""
    return f"{person.display_name}{title} ({agency})"


class RaiseForm(GovukForm):
    reason = _text_area(
        "Why is a strategy discussion needed?",
        rows=5,
        help_text="What gives reasonable cause to suspect the child is suffering, or likely to "
        "suffer, significant harm",
    )


class ScheduleForm(GovukForm):
    day = GovukDateField(label="Date", required=False, help_text="For example, 14 12 2026")
    time = forms.CharField(
        label="Time",
        required=False,
        help_text="In 24-hour format, for example 14:30",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "autocomplete": "off"}),
    )
    place = forms.CharField(
        label="Place (optional if there is a call link)",
        required=False,
        help_text="For example, MASH meeting room 2, Eastbridge police station",
    )
    call_link = forms.CharField(
        label="Call link (optional if there is a place)",
        required=False,
        help_text="The web address agencies use to join, starting https://",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    chair_id = forms.ChoiceField(label="Chair", required=False)

    def __init__(self, *args: Any, chairs: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].field_label = "the date"  # type: ignore[attr-defined]
        chair = self.fields["chair_id"]
        assert isinstance(chair, forms.ChoiceField)
        chair.choices = [("", "Select the chair")] + [
            (str(user.pk), _person_label(user)) for user in chairs
        ]
        chair.help_text = "A MASH or social care manager: they record the minutes and decision"
        self.style_widgets()

    def schedule_input(self) -> ScheduleInput:
        data = self.cleaned_data
        return ScheduleInput(
            day=data.get("day"),
            time=data.get("time") or "",
            place=data.get("place") or "",
            call_link=data.get("call_link") or "",
            chair_id=_id(data.get("chair_id")),
        )


class InviteForm(GovukForm):
    agency_ids = forms.MultipleChoiceField(
        label="Agencies to invite",
        required=False,
        widget=GovukCheckboxes,
        help_text="At least children's social care, police and health; and the referring agency "
        "and others who know the family",
    )
    person_ids = forms.ChoiceField(
        label="A named person to invite (optional)",
        required=False,
        help_text="They are invited as one of their agency's",
    )

    def __init__(
        self, *args: Any, agencies: Sequence[Agency], people: Sequence[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency_ids"]
        assert isinstance(agency_field, forms.MultipleChoiceField)
        agency_field.choices = [(str(agency.pk), agency.name) for agency in agencies]
        person_field = self.fields["person_ids"]
        assert isinstance(person_field, forms.ChoiceField)
        person_field.choices = NOBODY + [(str(each.pk), _person_label(each)) for each in people]

    def ids(self) -> tuple[list[int], list[int]]:
        agencies = [int(each) for each in self.cleaned_data.get("agency_ids") or []]
        person = _id(self.cleaned_data.get("person_ids"))
        return agencies, [person] if person is not None else []


ATTENDANCE_CHOICES = [
    (value, label) for value, label in Attendance.choices if value != Attendance.NOT_RECORDED
]


class AttendanceForm(GovukForm):
    """One question per invitation: did they attend?"""

    def __init__(self, *args: Any, invitations: Sequence[Invitation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for invitation in invitations:
            who = invitation.agency.name
            if invitation.person is not None:
                who = f"{invitation.person.display_name} ({who})"
            self.fields[f"attendance_{invitation.pk}"] = forms.ChoiceField(
                label=who,
                required=False,
                choices=ATTENDANCE_CHOICES,
                widget=GovukRadios(attrs={"small": True}),
                initial=invitation.attendance
                if invitation.attendance != Attendance.NOT_RECORDED
                else None,
            )
        self.style_widgets()

    def attendance(self) -> dict[int, str]:
        return {
            int(name.removeprefix("attendance_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("attendance_")
        }


class MinutesForm(GovukForm):
    minutes = _text_area(
        "Minutes",
        rows=12,
        help_text="What each agency shared, the risks discussed and why the decision was "
        "reached. Shared with the invited agencies only",
    )


class OutcomeForm(GovukForm):
    outcome = forms.ChoiceField(
        label="Decision of the strategy discussion",
        required=False,
        choices=DiscussionOutcome.choices,
        widget=GovukRadios,
    )
    detail = _text_area(
        "Details of the decision",
        help_text="Needed if you select Other; optional otherwise",
    )


class ActionForm(GovukForm):
    description = _text_area("Action")
    owner_agency_id = forms.ChoiceField(
        label="Agency that owns it", required=False, help_text="One of the invited agencies"
    )
    owner_person_id = forms.ChoiceField(label="Named person (optional)", required=False)
    due_on = GovukDateField(label="Due by", required=False, help_text="For example, 19 12 2026")

    def __init__(
        self, *args: Any, agencies: Sequence[Agency], people: Sequence[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_on"].field_label = "the due date"  # type: ignore[attr-defined]
        agency_field = self.fields["owner_agency_id"]
        assert isinstance(agency_field, forms.ChoiceField)
        agency_field.choices = [("", "Select the agency")] + [
            (str(agency.pk), agency.name) for agency in agencies
        ]
        person_field = self.fields["owner_person_id"]
        assert isinstance(person_field, forms.ChoiceField)
        person_field.choices = NOBODY + [(str(each.pk), _person_label(each)) for each in people]

    def action_input(self) -> ActionInput:
        data = self.cleaned_data
        return ActionInput(
            description=data.get("description") or "",
            owner_agency_id=_id(data.get("owner_agency_id")),
            owner_person_id=_id(data.get("owner_person_id")),
            due_on=data.get("due_on"),
        )
