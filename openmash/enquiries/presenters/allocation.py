"""What the allocation pages and the items' own pages show about who has a check or a
hand-on (issue 13, item 4)."""

from dataclasses import dataclass
from datetime import datetime

from openmash.core.presenters import Deadline, Tag, rag_tag
from openmash.core.time_text import when_text
from openmash.enquiries.models import AgencyCheck, CheckState, HandOn, HandOnState

NOBODY = "Unassigned"


def assigned_to_text(item: AgencyCheck | HandOn) -> str:
    """Who has the item, for a queue's column: their name, or "Unassigned"."""
    return item.assigned_to.display_name if item.assigned_to else NOBODY


def assignment_text(item: AgencyCheck | HandOn) -> str:
    """Who has the item, since when and who gave it to them, for the item's page."""
    if item.assigned_to is None:
        waiting = CheckState.REQUESTED if isinstance(item, AgencyCheck) else HandOnState.PENDING
        if item.state == waiting:
            return "Nobody yet: anyone in the queue may pick it up"
        # The state is what happened to it: completed, waived, accepted, returned...
        return f"Nobody: it was {item.state} without being assigned to anyone"
    text = f"{item.assigned_to.display_name}, since {when_text(item.assigned_at)}"
    if item.assigned_by is not None:
        text += f" (by {item.assigned_by.display_name})"
    return text


@dataclass(frozen=True)
class AllocationRow:
    """One open check or waiting hand-on in a queue a manager allocates from: the box to
    tick, who has it (and the hidden `seen` value the service compares, so a move made
    by someone else meanwhile is not overwritten)."""

    item: AgencyCheck | HandOn
    now: datetime
    selected: bool = False

    @property
    def id(self) -> int:
        return self.item.pk

    @property
    def reference(self) -> str:
        return self.item.contact.reference

    @property
    def rag(self) -> Tag:
        return rag_tag(self.item.contact.rag_level)

    @property
    def deadline(self) -> Deadline:
        return Deadline(self.item.deadline_at, self.now)

    @property
    def children(self) -> list[object]:
        return list(getattr(self.item.contact, "children", []))

    @property
    def assigned_to(self) -> str:
        return assigned_to_text(self.item)

    @property
    def seen(self) -> str:
        return str(self.item.assigned_to_id or "")
