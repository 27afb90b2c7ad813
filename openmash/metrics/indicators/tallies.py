"""Counts several indicators take from the same contacts: how many of the period's
contacts there were, by referral source and channel, how many were about a child referred
again, decided, and had their decision amended. One query for all of them, where each
indicator read every contact of the period again."""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.db.models import Count, Q, Sum

from openmash.metrics.cohort import amendments_at, contacts_received, with_first_decision
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import shared


@dataclass(frozen=True)
class Tally:
    """Of the contacts received in the period with one referral source and channel: how
    many, how many about a child referred again (the facts' flag), how many the MASH had
    first decided by as_at, how many of those had their decision amended by then, and how
    many amendments were made to them by then."""

    contacts: int
    re_referrals: int
    decided: int
    amended: int
    amendments: int


@shared
def received_tallies(f: MetricFilter) -> Mapping[tuple[str, str], Tally]:
    """The period's contacts that pass the filters, counted by (referral source, channel)."""
    decided = Q(m_decided__isnull=False)
    rows = (
        with_first_decision(contacts_received(f), f)
        .values("referral_source", "channel")
        .annotate(
            t_contacts=Count("pk"),
            t_re_referrals=Count("pk", filter=Q(re_referral=True)),
            t_decided=Count("pk", filter=decided),
            t_amended=Count("pk", filter=decided & Q(first_amended_at__lt=f.as_at)),
            t_amendments=Sum(amendments_at(f), filter=decided),
        )
        .values_list(
            "referral_source",
            "channel",
            "t_contacts",
            "t_re_referrals",
            "t_decided",
            "t_amended",
            "t_amendments",
        )
    )
    return MappingProxyType(
        {
            (source, channel): Tally(contacts, re_referrals, decided_, amended, amendments or 0)
            for source, channel, contacts, re_referrals, decided_, amended, amendments in rows
        }
    )


def tallied(f: MetricFilter) -> Tally:
    """The tallies of every source and channel added up."""
    tallies = received_tallies(f).values()
    return Tally(
        *(
            sum(getattr(tally, name) for tally in tallies)
            for name in ("contacts", "re_referrals", "decided", "amended", "amendments")
        )
    )


# The tallies' key: (referral source, channel).
_KEY_PLACE = {"referral_source": 0, "channel": 1}


def contacts_by(f: MetricFilter, field: str) -> dict[str, int]:
    """How many contacts had each referral source or channel (`field`)."""
    place = _KEY_PLACE[field]
    counts: dict[str, int] = {}
    for key, tally in received_tallies(f).items():
        counts[key[place]] = counts.get(key[place], 0) + tally.contacts
    return counts
