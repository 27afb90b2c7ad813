"""What the strategy discussion pages show: the discussion's state as a tag, when and
where, who was invited and whether they attended, the minutes, the decision and the
actions with their due dates."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from openmash.contacts.models import ContactPerson
from openmash.core.presenters import Tag
from openmash.core.time_text import day_text, when_text
from openmash.enquiries.models import Decision
from openmash.strategy.models import (
    Attendance,
    DiscussionOutcome,
    DiscussionState,
    Invitation,
    StrategyAction,
    StrategyDiscussion,
)

STATE_COLOURS = {
    DiscussionState.RAISED: "red",
    DiscussionState.SCHEDULED: "blue",
    DiscussionState.MINUTED: "yellow",
    DiscussionState.CONCLUDED: "green",
}
ATTENDANCE_COLOURS = {
    Attendance.NOT_RECORDED: "grey",
    Attendance.ATTENDED: "green",
    Attendance.SENT_INFORMATION: "yellow",
    Attendance.DID_NOT_ATTEND: "red",
}


def _child_label(person: ContactPerson) -> str:
    born = f", born {day_text(person.date_of_birth)}" if person.date_of_birth else ""
    return f"{person.full_name}{born}"


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation

    @property
    def id(self) -> int:
        return self.invitation.pk

    @property
    def who(self) -> str:
        if self.invitation.person is not None:
            return f"{self.invitation.person.display_name}, {self.invitation.agency.name}"
        return self.invitation.agency.name

    @property
    def attendance(self) -> Tag:
        value = self.invitation.attendance
        return Tag(Attendance(value).label, ATTENDANCE_COLOURS[Attendance(value)])


@dataclass(frozen=True)
class ActionRow:
    action: StrategyAction
    today: date

    @property
    def id(self) -> int:
        return self.action.pk

    @property
    def description(self) -> str:
        return self.action.description

    @property
    def owner(self) -> str:
        if self.action.owner_person is not None:
            return f"{self.action.owner_person.display_name}, {self.action.owner_agency.name}"
        return self.action.owner_agency.name

    @property
    def due(self) -> str:
        return day_text(self.action.due_on)

    @property
    def tag(self) -> Tag:
        if self.action.is_done:
            return Tag("Done", "green")
        if self.action.due_on < self.today:
            return Tag("Overdue", "red")
        return Tag("To do", "grey")

    @property
    def done(self) -> str:
        if self.action.done_at is None or self.action.done_by is None:
            return ""
        return f"{self.action.done_by.display_name} at {when_text(self.action.done_at)}"

    @property
    def is_done(self) -> bool:
        return self.action.is_done


@dataclass(frozen=True)
class DiscussionPresenter:
    """One discussion, as a list row or its page. Never shows the MASH decision's
    rationale: it stays within the MASH."""

    discussion: StrategyDiscussion
    children: Sequence[ContactPerson] = ()
    invitations: Sequence[Invitation] = ()
    actions: Sequence[StrategyAction] = ()
    now: datetime | None = None

    @property
    def id(self) -> int:
        return self.discussion.pk

    @property
    def reference(self) -> str:
        return self.discussion.contact.reference

    @property
    def child_labels(self) -> list[str]:
        return [_child_label(child) for child in self.children]

    @property
    def tag(self) -> Tag:
        state = DiscussionState(self.discussion.state)
        return Tag(state.label, STATE_COLOURS[state])

    @property
    def is_raised(self) -> bool:
        return self.discussion.state == DiscussionState.RAISED

    @property
    def is_open_to_invite(self) -> bool:
        return self.discussion.state in (DiscussionState.RAISED, DiscussionState.SCHEDULED)

    @property
    def is_scheduled(self) -> bool:
        return self.discussion.scheduled_for is not None

    @property
    def is_held(self) -> bool:
        return self.discussion.state in (DiscussionState.MINUTED, DiscussionState.CONCLUDED)

    @property
    def is_decided(self) -> bool:
        return self.discussion.state == DiscussionState.CONCLUDED

    @property
    def when(self) -> str:
        if self.discussion.scheduled_for is None:
            return "Not scheduled yet"
        return when_text(self.discussion.scheduled_for)

    @property
    def place(self) -> str:
        return self.discussion.place

    @property
    def call_link(self) -> str:
        return self.discussion.call_link

    @property
    def chair(self) -> str:
        return self.discussion.chair.display_name if self.discussion.chair else "Not set yet"

    @property
    def origin(self) -> str:
        discussion = self.discussion
        raised = f"{discussion.get_origin_display()}"
        decision: Decision | None = discussion.decision
        if decision is not None:
            return f"{raised} of {when_text(decision.decided_at)}"
        return f"{raised}, {discussion.raised_by.display_name} at {when_text(discussion.raised_at)}"

    @property
    def reason(self) -> str:
        return self.discussion.reason

    @property
    def minutes(self) -> str:
        return self.discussion.minutes

    @property
    def minutes_recorded(self) -> str:
        discussion = self.discussion
        if discussion.minutes_recorded_by is None:
            return ""
        return (
            f"{discussion.minutes_recorded_by.display_name} at "
            f"{when_text(discussion.minutes_recorded_at)}"
        )

    @property
    def outcome(self) -> str:
        if not self.discussion.outcome:
            return "Not decided yet"
        return DiscussionOutcome(self.discussion.outcome).label

    @property
    def outcome_detail(self) -> str:
        return self.discussion.outcome_detail

    @property
    def invitees(self) -> list[InvitationRow]:
        return [InvitationRow(each) for each in self.invitations]

    @property
    def invited_agencies(self) -> str:
        names = list(dict.fromkeys(each.agency.name for each in self.invitations))
        return ", ".join(names) if names else "Nobody invited yet"

    @property
    def action_rows(self) -> list[ActionRow]:
        today = timezone.localdate(self.now or timezone.now())
        return [ActionRow(each, today) for each in self.actions]


@dataclass(frozen=True)
class AwaitingRow:
    """A decision whose outcome is a strategy discussion, with none raised yet."""

    decision: Decision

    @property
    def reference(self) -> str:
        return self.decision.contact.reference

    @property
    def child_labels(self) -> list[str]:
        return [_child_label(child) for child in getattr(self.decision.contact, "children", [])]

    @property
    def decided(self) -> str:
        return f"{self.decision.decided_by.display_name} at {when_text(self.decision.decided_at)}"
