"""Strategy discussions: how long from the need for one being identified (the MASH's
decision, or police or social care raising it) to the discussion being held, and from
the discussion to its decision (a section 47 enquiry or not)."""

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from openmash.metrics.cohort import contacts_received
from openmash.metrics.figures import DurationTable
from openmash.metrics.filters import MetricFilter

# The shared duration table of the timeliness indicators: the same counts, medians and
# 90th percentiles, broken down the same way.
from openmash.metrics.indicators.registry import Group, Unit, indicator
from openmash.metrics.indicators.timeliness import Timing, _duration_table
from openmash.strategy.models import DiscussionOrigin, StrategyDiscussion

COHORT = """Counts the strategy discussions on contacts received in the period (and raised
before its end), followed up to the end of the period: one not yet at that step is
counted as open, never as taking no time. Median and 90th percentile are in clock hours,
of the discussions that reached the step. By how the discussion was raised: from a MASH
decision, or by police or social care on a contact."""


def _discussions(f: MetricFilter) -> QuerySet[StrategyDiscussion]:
    return (
        StrategyDiscussion.objects.filter(
            contact_id__in=contacts_received(f).values("pk"), raised_at__lt=f.as_at
        )
        .annotate(m_identified=Coalesce(F("decision__decided_at"), F("raised_at")))
        .order_by()
    )


def _held_by(f: MetricFilter) -> Q:
    """Held by the end of the period: its minutes were recorded before then."""
    return Q(minutes_recorded_at__isnull=False, minutes_recorded_at__lt=f.as_at)


def discussion_timing(f: MetricFilter) -> Timing:
    return Timing(_discussions(f), "m_identified", "scheduled_for", _held_by(f), "origin")


def discussion_outcome_timing(f: MetricFilter) -> Timing:
    decided = Q(outcome_recorded_at__isnull=False, outcome_recorded_at__lt=f.as_at)
    return Timing(
        _discussions(f).filter(_held_by(f)),
        "scheduled_for",
        "outcome_recorded_at",
        decided,
        "origin",
    )


ORIGINS = [(origin.value, origin.label) for origin in DiscussionOrigin]


@indicator(
    key="time_to_strategy_discussion",
    title="Strategy discussion: time from the decision to the discussion",
    definition=f"""From the MASH deciding a strategy discussion (or, for one police or
    social care raised on a contact, from its being raised) to the time the discussion was
    held, as scheduled. A discussion counts as held once its minutes are recorded. There is
    no timescale for this step in OpenMASH; the most urgent are often held the same day.

    {COHORT}""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
def time_to_strategy_discussion(f: MetricFilter) -> DurationTable:
    return _duration_table(discussion_timing(f), f, dimension="Raised", labels=ORIGINS)


@indicator(
    key="strategy_discussion_to_outcome",
    title="Strategy discussion: time from the discussion to its decision",
    definition=f"""From the time the strategy discussion was held to its chair recording
    its decision (a section 47 enquiry, single-agency or joint with police, no further
    action, or another decision), for the discussions held by the end of the period.

    {COHORT}""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
def strategy_discussion_to_outcome(f: MetricFilter) -> DurationTable:
    return _duration_table(discussion_outcome_timing(f), f, dimension="Raised", labels=ORIGINS)
