"""The retention schedule: how long OpenMASH keeps each kind of record, and what happens
to it then. The defaults below are a starting point, not a ruling: each area sets its own
periods (the schedule page, /governance/retention/), usually from its own records
retention schedule (many councils follow the IRMS toolkit for local authorities), and
each period is shown with the reason given for it. docs/retention.md explains the
defaults; docs/adr/0025-retention-and-subject-access.md the design.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from openmash.accounts.models import User
from openmash.governance.models import RecordType, RetentionRule


@dataclass(frozen=True)
class RuleDefault:
    keep_months: int
    keep_until_age: int | None
    reason: str


DEFAULTS: dict[str, RuleDefault] = {
    RecordType.CONTACT_NO_ASSESSMENT: RuleDefault(
        72,
        None,
        "Six years after the MASH closed or handed on the contact: the Limitation Act 1980's "
        "six-year period for claims, and the period council schedules commonly give contacts "
        "and referrals that go no further. A contact that comes back within it still shows in "
        "the child's chronology and counts as a re-referral.",
    ),
    RecordType.CONTACT_ASSESSMENT: RuleDefault(
        72,
        25,
        "Until the youngest child named is 25, and at least six years after closure: "
        "children in need records are commonly kept to the 25th birthday (the six-year "
        "limitation period runs from 18), and the receiving team's own case file holds the "
        "case after that. Child protection and looked-after children's files are kept far "
        "longer, in the case management system, not here.",
    ),
    RecordType.INDEX_RECORD: RuleDefault(
        12,
        None,
        "A year after the record left the agency's feed, or after the agency last sent its "
        "feed: the index is a copy of each agency's own records, kept only to match people, "
        "and the agency holds the original.",
    ),
    RecordType.AUDIT_EVENT: RuleDefault(
        84,
        None,
        "Seven years (the current year plus six): long enough to answer who read a record "
        "within the limitation period and to support an investigation. Removed a whole seal "
        "at a time, oldest first, so the seals still prove the rest of the log unchanged.",
    ),
    RecordType.MESSAGE: RuleDefault(
        24,
        None,
        "Two years after it was sent: the contact's record holds what was decided and fed "
        "back; the email itself is kept only to show it was delivered. The address, subject "
        "and body are removed; the kind of email and when it was sent stay for the figures.",
    ),
    RecordType.ATTACHMENT: RuleDefault(
        72,
        None,
        "Six years after the MASH closed or handed on the contact (or the strategy "
        "discussion it was brought to): as for contacts that go no further. A file the "
        "receiving team needs goes into its own case file when the case is handed on.",
    ),
}

# What the job does to a record of each type once it is due.
WHAT_HAPPENS: dict[str, str] = {
    RecordType.CONTACT_NO_ASSESSMENT: (
        "Anonymised: names, dates of birth, addresses, identifiers, the referrer's details "
        "and every free-text field are removed, with the contact's files, notes and index "
        "entries; the dates, codes and outcomes stay for the statutory returns and figures."
    ),
    RecordType.CONTACT_ASSESSMENT: "Anonymised, as contacts that go no further.",
    RecordType.INDEX_RECORD: "Deleted, with the match suggestions and links to it.",
    RecordType.AUDIT_EVENT: "Deleted a seal at a time, oldest first; the seals are kept.",
    RecordType.MESSAGE: "Anonymised: address, subject and body removed.",
    RecordType.ATTACHMENT: "Deleted: the file and its record.",
}

CONTACT_TYPES = frozenset({RecordType.CONTACT_NO_ASSESSMENT, RecordType.CONTACT_ASSESSMENT})
# Audit events are never removed sooner than this, whatever is set (ADR 0025).
AUDIT_MIN_MONTHS = 12


@dataclass(frozen=True)
class Rule:
    """One line of the schedule as it applies now: the area's, or the default."""

    record_type: str
    keep_months: int
    keep_until_age: int | None
    active: bool
    reason: str
    is_default: bool
    updated_by: User | None = None
    updated_at: datetime | None = None

    @property
    def label(self) -> str:
        return str(RecordType(self.record_type).label)

    @property
    def what_happens(self) -> str:
        return WHAT_HAPPENS[self.record_type]

    def cutoff(self, now: datetime) -> datetime:
        """Records whose clock started before this are due (age permitting)."""
        return months_before(now, self.keep_months)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that month is shorter: 31 March less one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def birthday(born: date, age: int) -> date:
    """The day a child born on `born` turns `age` (29 February: 28 February then)."""
    year = born.year + age
    return born.replace(year=year, day=min(born.day, calendar.monthrange(year, born.month)[1]))


def default_rule(record_type: str) -> Rule:
    default = DEFAULTS[record_type]
    return Rule(
        record_type=record_type,
        keep_months=default.keep_months,
        keep_until_age=default.keep_until_age,
        active=True,
        reason=default.reason,
        is_default=True,
    )


def retention_schedule() -> dict[str, Rule]:
    """Every record type's rule, in the order of RecordType: the area's where it set one."""
    rows = {row.record_type: row for row in RetentionRule.objects.select_related("updated_by")}
    schedule: dict[str, Rule] = {}
    for record_type in RecordType.values:
        row = rows.get(record_type)
        schedule[record_type] = (
            default_rule(record_type)
            if row is None
            else Rule(
                record_type=record_type,
                keep_months=row.keep_months,
                keep_until_age=row.keep_until_age,
                active=row.active,
                reason=row.reason,
                is_default=False,
                updated_by=row.updated_by,
                updated_at=row.updated_at,
            )
        )
    return schedule
