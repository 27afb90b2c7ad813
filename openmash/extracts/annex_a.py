"""Ofsted's Annex A lists that OpenMASH holds the data for: List 1 (contacts) and List 3
(referrals), one row per child per contact, with Ofsted's column headings in Ofsted's
order, and dates as dd/mm/yyyy.

List 1 has every child named in a contact as a child: the child it is about and any
sibling named (as the chronology and the cumulative-concern rules count them). List 3
has each child the MASH referred to children's social care: the MASH decides an outcome
for each child (ADR 0022), so a sibling it closed with advice is in List 1 and not in
List 3. Parents and other adults are never rows.

What OpenMASH cannot fill, and why:
- Ethnicity is the census code recorded for the child in that contact (given by the
  referrer, or corrected at screening); where none was given, the Department for
  Education's code NOBT, "information not yet obtained".
- A child whose date of birth is not known has an empty Date of Birth and the age the
  referrer estimated; an unborn child has neither (an expected date of delivery is not
  a date of birth).
- Gender is what the referrer gave: Male, Female, or Unknown (the census code U, which
  OpenMASH also uses for an unborn child).

Not scoped or audited here: openmash.extracts.selectors checks permission and records
each download.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.contacts.models import ContactPerson
from openmash.core.period import Period
from openmash.enquiries.selectors.chronology import a_year_before
from openmash.extracts.children import child_index, children_in, once_per_child
from openmash.extracts.referrals import referral_times, referred_children
from openmash.extracts.tables import UK_DATES, Cell, Column, ColumnKind, Table

ETHNICITY_NOT_OBTAINED = "NOBT"
GENDER = {"M": "Male", "F": "Female", "U": "Unknown"}
YES_NO = {True: "Yes", False: "No"}

CHILD_ID = Column(
    "Child Unique ID",
    description="The OpenMASH person id of the child's first record: the same for every "
    "contact about the child, and the number of the child's chronology page.",
)
GENDER_COLUMN = Column("Gender", description="Male, Female or Unknown, as the referrer gave it.")
ETHNICITY = Column(
    "Ethnicity",
    description="The census ethnicity code recorded for the child in the contact (such as "
    "WBRI); NOBT (information not yet obtained) where none was given.",
)
DATE_OF_BIRTH = Column(
    "Date of Birth",
    kind=ColumnKind.DATE,
    description="Empty when not known, and for an unborn child.",
)
AGE = Column(
    "Age of Child (Years)",
    kind=ColumnKind.NUMBER,
    description="Whole years on the date of the contact (List 1) or referral (List 3); the "
    "referrer's estimate when the date of birth is not known.",
)

LIST_1_COLUMNS = (
    CHILD_ID,
    GENDER_COLUMN,
    ETHNICITY,
    DATE_OF_BIRTH,
    AGE,
    Column(
        "Date of Contact",
        kind=ColumnKind.DATE,
        description="The day the MASH received the contact (UK time).",
    ),
    Column(
        "Contact Source",
        description="The Children in Need census referral source code, such as 2A for a school.",
    ),
)
LIST_3_COLUMNS = (
    CHILD_ID,
    GENDER_COLUMN,
    ETHNICITY,
    DATE_OF_BIRTH,
    AGE,
    Column(
        "Date of referral",
        kind=ColumnKind.DATE,
        description="The day the MASH first decided to pass the child to children's social care.",
    ),
    Column("Referral Source", description="The census referral source code of the contact."),
    Column(
        "Referral NFA?",
        description="Yes when the child's outcome in the decision in force is no longer an "
        "assessment or strategy discussion.",
    ),
    Column(
        "Number of Referrals in Last 12 Months",
        kind=ColumnKind.NUMBER,
        description="The same child's earlier referrals in the 12 months before this one "
        "(this one not counted), among the referrals made through OpenMASH.",
    ),
    Column(
        "Allocated Team",
        description="The receiving team the MASH manager named for the child in the latest "
        "decision giving them an assessment or strategy discussion.",
    ),
    Column(
        "Allocated Worker",
        description="The worker children's social care named when it accepted the child's "
        "case; empty until then.",
    ),
)


@dataclass(frozen=True)
class Extracted:
    """An extract's table, and the contacts its rows come from (for the audit log)."""

    table: Table
    contact_ids: frozenset[int]


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, LONDON).date()


def ethnicity_of(person: ContactPerson) -> str:
    """The census ethnicity code recorded for the child in this contact, or NOBT."""
    return person.ethnicity or ETHNICITY_NOT_OBTAINED


def _about_child(person: ContactPerson, child_id: int, day: date) -> tuple[Cell, ...]:
    return (
        child_id,
        GENDER.get(person.sex, "Unknown"),
        ethnicity_of(person),
        person.date_of_birth,
        person.age_on(day),
    )


def annex_a_list_1(period: Period) -> Extracted:
    """List 1: every child in every contact received in the period, whatever became of
    the contact (open, decided or closed)."""
    people = children_in(
        Q(contact__received_at__gte=period.starts_at, contact__received_at__lt=period.ends_at)
    )
    index = child_index(people)
    rows = []
    for person, child in once_per_child(people, index):
        day = local_day(person.contact.received_at)
        rows.append((*_about_child(person, child, day), day, person.contact.referral_source))
    table = Table(
        title="Annex A List 1: contacts",
        columns=LIST_1_COLUMNS,
        rows=rows,
        dates=UK_DATES,
        file_stem=f"annex-a-list-1-contacts-{period.slug}",
    )
    return Extracted(table, frozenset(person.contact_id for person in people))


def earlier_referrals(
    records: Iterable[ContactPerson],
    contact_id: int,
    referred_at: datetime,
    times: dict[int, datetime],
) -> int:
    """How many of the child's other contacts referred this child (the child's own
    outcome, not a sibling's) in the 12 months before this referral (from the same time
    a year before, as the chronology counts)."""
    since = a_year_before(referred_at)
    first: dict[int, datetime] = {}
    for record in records:
        moment = times.get(record.pk)
        if record.contact_id == contact_id or moment is None:
            continue
        first[record.contact_id] = min(moment, first.get(record.contact_id, moment))
    return sum(1 for moment in first.values() if since <= moment < referred_at)


def annex_a_list_3(period: Period) -> Extracted:
    """List 3: every child in every referral made in the period."""
    referred = referred_children(period)
    by_child = referred.index.records_by_child()
    times = referral_times(
        sorted({record.pk for records in by_child.values() for record in records})
    )
    rows = []
    for each in referred.children:
        referral = each.referral
        day = local_day(referral.referred_at)
        rows.append(
            (
                *_about_child(each.person, each.child_id, day),
                day,
                each.person.contact.referral_source,
                YES_NO[referral.no_further_action],
                earlier_referrals(
                    by_child[each.child_id], referral.contact_id, referral.referred_at, times
                ),
                referral.team,
                referral.worker,
            )
        )
    table = Table(
        title="Annex A List 3: referrals",
        columns=LIST_3_COLUMNS,
        rows=rows,
        dates=UK_DATES,
        file_stem=f"annex-a-list-3-referrals-{period.slug}",
    )
    return Extracted(table, frozenset(each.referral.contact_id for each in referred.children))
