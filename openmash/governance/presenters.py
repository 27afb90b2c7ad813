"""What the information governance pages show: the schedule in words, the dry run's
counts and rows, and each record found for a subject access request."""

from dataclasses import dataclass
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

from openmash.core.time_text import plural
from openmash.enquiries.presenters.search import probability_text
from openmash.governance.models import LegalHold, RecordType, RetentionRun
from openmash.governance.retention import DueItem, HeldItem, RetentionPlan
from openmash.governance.schedule import Rule
from openmash.governance.subject_access import Candidate
from openmash.people.identifiers import nhs_number_display


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return f"{value:%-d %B %Y}"


def period_text(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = [plural(years, "year")] if years else []
    if rest:
        parts.append(plural(rest, "month"))
    return " and ".join(parts)


@dataclass(frozen=True)
class RuleRow:
    record_type: str
    label: str
    period: str
    what_happens: str
    reason: str
    set_by: str
    active: bool
    edit_href: str

    @classmethod
    def of(cls, rule: Rule) -> "RuleRow":
        period = period_text(rule.keep_months)
        if rule.keep_until_age is not None:
            period += f", and until the youngest child named is {rule.keep_until_age}"
        if rule.is_default:
            set_by = "OpenMASH's default"
        else:
            who = rule.updated_by.display_name if rule.updated_by else "someone"
            set_by = f"Set by {who} on {_day(rule.updated_at)}"
        return cls(
            record_type=rule.record_type,
            label=rule.label,
            period=period if rule.active else f"Kept: not removed ({period} when switched on)",
            what_happens=rule.what_happens,
            reason=rule.reason,
            set_by=set_by,
            active=rule.active,
            edit_href=reverse("governance:retention-rule", args=[rule.record_type]),
        )


@dataclass(frozen=True)
class DueRow:
    label: str
    since: str
    due: str
    action: str

    @classmethod
    def of(cls, item: DueItem) -> "DueRow":
        return cls(
            label=item.label,
            since=_day(item.since),
            due=_day(item.due_at),
            action=item.action.capitalize(),
        )


@dataclass(frozen=True)
class PlanSection:
    record_type: str
    label: str
    due: int
    held: int
    active: bool
    rows: list[DueRow]

    @property
    def more(self) -> int:
        return self.due - len(self.rows)


@dataclass(frozen=True)
class PlanPage:
    on: str
    total: int
    sections: list[PlanSection]
    held: list[HeldItem]

    @classmethod
    def of(cls, plan: RetentionPlan) -> "PlanPage":
        sections = [
            PlanSection(
                record_type=record_type,
                label=str(RecordType(record_type).label),
                due=plan.due_counts.get(record_type, 0),
                held=plan.held_counts.get(record_type, 0),
                active=plan.schedule[record_type].active,
                rows=[DueRow.of(item) for item in plan.due.get(record_type, [])],
            )
            for record_type in RecordType.values
        ]
        return cls(on=_day(plan.now), total=plan.total_due, sections=sections, held=plan.held)


@dataclass(frozen=True)
class RunSummary:
    when: str
    counts: str
    error: str

    @classmethod
    def of(cls, run: RetentionRun | None) -> "RunSummary | None":
        if run is None:
            return None
        labels = dict(RecordType.choices)
        counts = ", ".join(
            f"{labels.get(kind, kind)}: {count:,}" for kind, count in sorted(run.counts.items())
        )
        return cls(
            when=f"{timezone.localtime(run.started_at):%-d %B %Y at %H:%M}",
            counts=counts or "nothing was due",
            error=run.error,
        )


@dataclass(frozen=True)
class HoldRow:
    pk: int
    reference: str
    reason: str
    placed: str
    release_href: str

    @classmethod
    def of(cls, hold: LegalHold) -> "HoldRow":
        return cls(
            pk=hold.pk,
            reference=hold.contact.reference,
            reason=hold.reason,
            placed=f"{_day(hold.placed_at)} by {hold.placed_by.display_name}",
            release_href=reverse("governance:hold-release", args=[hold.pk]),
        )


@dataclass(frozen=True)
class CandidateRow:
    """One record found for a subject access request, as a checkbox with its details."""

    value: str
    name: str
    born: str
    where: str
    detail: str
    fit: str
    explanation: list[str]

    @classmethod
    def of(cls, candidate: Candidate) -> "CandidateRow":
        fit = probability_text(candidate.probability)
        if candidate.person is not None:
            person = candidate.person
            identifiers = [
                f"NHS number {nhs_number_display(person.nhs_number)}" if person.nhs_number else "",
                person.postcode,
            ]
            return cls(
                value=f"person-{person.pk}",
                name=person.full_name,
                born=_day(person.date_of_birth) or "Date of birth not known",
                where=f"Contact {person.contact.reference}, received "
                f"{_day(person.contact.received_at)}",
                detail=", ".join(
                    [person.get_role_display(), *[part for part in identifiers if part]]
                ),
                fit=fit,
                explanation=candidate.explanation,
            )
        record = candidate.record
        assert record is not None
        agency = record.agency.name if record.agency else "An agency"
        name = " ".join(part for part in [record.given_names, record.family_name] if part)
        return cls(
            value=f"record-{record.pk}",
            name=name or "Name not known",
            born=_day(record.date_of_birth) or "Date of birth not known",
            where=f"{agency}'s index",
            detail=", ".join(part for part in [record.postcode, record.involvement] if part),
            fit=fit,
            explanation=candidate.explanation,
        )

    @property
    def label(self) -> str:
        return f"{self.name}, {self.born}: {self.where}"
