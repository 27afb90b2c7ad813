"""Pieces every page shows the same way (GOV.UK tags, RAG tags), and what the audit log
integrity page shows, worded for an auditor."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.utils import timezone

from openmash.core.attachments import attachment_kind_label, size_text
from openmash.core.audit_seals import SealStatus
from openmash.core.models import AttachmentFile, AuditVerification, VerificationState
from openmash.core.overdue import is_overdue
from openmash.core.time_text import plural, time_left_text, when_text


@dataclass(frozen=True)
class Tag:
    """A GOV.UK tag: its words and its colour (govuk-tag--<colour>)."""

    label: str
    colour: str


class Rating(Protocol):
    """A RAG rating as a tag shows it (the area's RagLevel; core imports no domain app)."""

    @property
    def label(self) -> str: ...

    @property
    def colour(self) -> str: ...


NOT_RATED = Tag("Not rated", "grey")


def rag_tag(level: Rating | None) -> Tag:
    """The RAG rating as a tag in its own colour; grey "Not rated" before a rating."""
    if level is None:
        return NOT_RATED
    return Tag(level.label, level.colour)


@dataclass(frozen=True)
class Deadline:
    """A deadline as the queues and pages show it: when it is, the time left or how long
    it is overdue, and whether to mark it overdue."""

    at: datetime | None
    now: datetime
    # The contact's deadline still runs on the provisional level (not yet rated).
    provisional: bool = False

    @property
    def when(self) -> str:
        return when_text(self.at) if self.at else "No deadline set"

    @property
    def time_left(self) -> str:
        return time_left_text(self.at, self.now) if self.at else ""

    @property
    def is_overdue(self) -> bool:
        return is_overdue(self.at, self.now)


@dataclass(frozen=True)
class SummaryRow:
    key: str
    value: str
    hint: str = ""


@dataclass(frozen=True)
class ProblemRow:
    seal: str
    events: str
    problem: str


class SealStatusPresenter:
    def __init__(self, status: SealStatus) -> None:
        self.status = status
        self.latest_seal_hash = status.latest_seal_hash

    @property
    def rows(self) -> list[SummaryRow]:
        status = self.status
        if status.last_sealed_at is None:
            last_sealed = SummaryRow("Last sealed", "Not sealed yet")
        else:
            last_sealed = SummaryRow(
                "Last sealed",
                when_text(status.last_sealed_at),
                f"Up to event {status.last_sealed_event_id}",
            )
        return [
            last_sealed,
            SummaryRow(
                "Events sealed",
                f"{status.events_sealed:,} in {plural(status.seals, 'seal')}",
            ),
            SummaryRow(
                "Events waiting to be sealed",
                f"{status.events_waiting:,}",
                "Events are sealed a few minutes after they are written.",
            ),
        ]


class VerificationPresenter:
    """The latest check of the log: a notification banner and, if it failed, what failed."""

    def __init__(self, verification: AuditVerification) -> None:
        self.verification = verification
        state = verification.state
        self.in_progress = state in (VerificationState.QUEUED, VerificationState.RUNNING)
        self.passed = state == VerificationState.PASSED
        self.failed = state == VerificationState.FAILED
        self.could_not_finish = state == VerificationState.ERROR

    @property
    def requested(self) -> str:
        who = self.verification.requested_by
        name = who.display_name if who is not None else "someone"
        return f"Requested by {name} at {when_text(self.verification.requested_at)}."

    @property
    def heading(self) -> str:
        if self.in_progress:
            return "Checking the audit log"
        if self.passed:
            return "The audit log matches its seals"
        if self.failed:
            if self.verification.problems:
                return "The audit log does not match its seals"
            return "The hash you recorded is not in the chain"
        return "The check could not finish"

    @property
    def counts(self) -> str:
        verification = self.verification
        if not verification.seals_checked:
            return "Nothing was sealed yet."
        return (
            f"Checked at {when_text(verification.finished_at)}: "
            f"{verification.events_checked:,} events in "
            f"{plural(verification.seals_checked, 'seal')}."
        )

    @property
    def expected_hash_text(self) -> str:
        found = self.verification.expected_hash_found
        if found is None:
            return ""
        if found:
            return "The hash you recorded is in the chain."
        return (
            "The hash you recorded is not in the chain: the seals have been replaced since "
            "you recorded it, or it was copied wrongly."
        )

    @property
    def problems(self) -> list[ProblemRow]:
        return [
            ProblemRow(
                seal=str(problem["seal"]),
                events=f"{problem['first_event_id']} to {problem['last_event_id']}",
                problem=problem["problem"],
            )
            for problem in self.verification.problems
        ]


@dataclass(frozen=True)
class AttachmentRow:
    """One attached file as a list shows it: its name (the download link), what it is,
    who added it and when, its size, and what it is attached to."""

    attachment: AttachmentFile
    url: str
    on: str = ""

    @property
    def filename(self) -> str:
        return self.attachment.filename

    @property
    def kind(self) -> str:
        return attachment_kind_label(self.attachment.content_type)

    @property
    def added_by(self) -> str:
        user = self.attachment.uploaded_by
        agency = self.attachment.uploaded_by_agency
        return f"{user.display_name} ({agency.name})" if agency else f"{user.display_name} (MASH)"

    @property
    def when(self) -> str:
        return f"{timezone.localtime(self.attachment.uploaded_at):%d %B %Y at %H:%M}"

    @property
    def size(self) -> str:
        return size_text(self.attachment.size)
