"""What the Find a child page shows of each result: who, where the record comes from,
how closely it fits what was typed and why, and where to go next."""

from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from openmash.contacts.codes import PersonRole
from openmash.enquiries.selectors.search import ChildSearch, ChildSearchResult
from openmash.linkage.links import auto_link_threshold, suggest_threshold
from openmash.people.identifiers import nhs_number_display


def _date(value: date | None) -> str:
    return f"{value:%-d %B %Y}" if value else "Not known"


def _percent(probability: float) -> str:
    percent = probability * 100
    if percent >= 99.95:
        return "over 99.9%"
    if percent < 0.1:
        return "under 0.1%"
    if percent < 1 or percent >= 99:
        return f"{percent:.1f}%"
    return f"{percent:.0f}%"


def probability_text(probability: float | None) -> str:
    """How closely a result fits, as the matcher scored it, in words a screener reads at a
    glance and then the figure: 'Almost certain match (over 99.9%)', 'Possible match
    (12%)'. The words follow the matcher's own thresholds: at the automatic link
    threshold 'almost certain'; at the suggestion threshold 'likely' ('very likely' from
    90%); below it 'possible' down to 5%, then 'unlikely'. A bare percentage was hard to
    read beside its neighbours (found by the QA pass)."""
    if probability is None:
        return ""
    if probability >= auto_link_threshold():
        words = "Almost certain match"
    elif probability >= max(0.9, suggest_threshold()):
        words = "Very likely match"
    elif probability >= suggest_threshold():
        words = "Likely match"
    elif probability >= 0.05:
        words = "Possible match"
    else:
        words = "Unlikely match"
    return f"{words} ({_percent(probability)})"


def too_little_to_rank(highest: float | None) -> bool:
    """Whether what was typed cannot lift any record to the suggestion threshold, however
    well it fits (a surname alone, a date of birth alone, an NHS number alone): every
    result would be an 'unlikely' or 'possible' match, the child searched for too."""
    return highest is not None and highest < suggest_threshold()


# A record scoring within this of the highest probability fits everything typed (the
# scores are the same sums of weights; this only absorbs rounding).
_SAME_SCORE = 1e-9


def fit_text(probability: float | None, highest: float | None) -> str:
    """How closely a result fits: in the matcher's words (probability_text), or, after a
    search that typed too little to rank anyone (too_little_to_rank), how much of what
    was typed it fits: a surname alone scored every Harper an 'Unlikely match (1%)'."""
    if probability is None or highest is None or not too_little_to_rank(highest):
        return probability_text(probability)
    if probability >= highest - _SAME_SCORE:
        return "Fits everything you typed"
    return "Fits some of what you typed"


@dataclass(frozen=True)
class ResultRow:
    key: str
    name: str
    date_of_birth: str
    nhs_number: str
    postcode: str
    # Where the record is: "Contact MASH-2026-000123, received 3 May 2026", "Police index".
    source: str
    source_detail: str
    fit: str
    explanation: list[str]
    # The child's chronology (a child in a contact); an agency record has none.
    href: str

    @classmethod
    def of(cls, result: ChildSearchResult, highest: float | None = None) -> "ResultRow":
        """`highest`: the search's highest_probability, for the words of fit_text."""
        found = result.found
        if result.person is not None:
            person = result.person
            contact = person.contact
            role = PersonRole(person.role).label if person.role in PersonRole.values else ""
            return cls(
                key=f"person-{person.pk}",
                name=person.full_name,
                date_of_birth=_date(person.date_of_birth),
                nhs_number=nhs_number_display(person.nhs_number) if person.nhs_number else "",
                postcode=person.postcode,
                source=f"Contact {contact.reference}",
                source_detail=f"Received {contact.received_at:%-d %B %Y}"
                + (f"; {role.lower()}" if role else ""),
                fit=fit_text(found.probability, highest),
                explanation=found.explanation,
                href=reverse("enquiries:child-chronology", args=[person.pk]),
            )
        record = result.record
        assert record is not None
        agency = record.agency.name if record.agency is not None else "An agency"
        return cls(
            key=f"record-{record.pk}",
            name=" ".join(part for part in (record.given_names, record.family_name) if part),
            date_of_birth=_date(record.date_of_birth),
            nhs_number=nhs_number_display(record.nhs_number) if record.nhs_number else "",
            postcode=record.postcode,
            source=f"{agency} index record",
            source_detail=record.involvement or "No involvement recorded",
            fit=fit_text(found.probability, highest),
            explanation=found.explanation,
            href="",
        )


@dataclass(frozen=True)
class SearchPage:
    rows: list[ResultRow]
    agency_scoped: bool
    maybe_more: bool
    # What was typed cannot tell children apart (too_little_to_rank): the page says so.
    too_little_to_rank: bool = False

    @classmethod
    def of(cls, search: ChildSearch) -> "SearchPage":
        return cls(
            rows=[ResultRow.of(result, search.highest) for result in search.results],
            agency_scoped=search.agency_scoped,
            maybe_more=search.maybe_more,
            too_little_to_rank=too_little_to_rank(search.highest),
        )
