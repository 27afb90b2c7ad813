"""A scenario estimated from the hub's own records for a chosen period (issue 6, item 2).

Each part of the scenario comes with a note of how it was estimated and how many records
it rests on, shown beside it on the scenario page:

- **Arrivals**: contacts received, by weekday and hour (SQL aggregation). Contacts a day
  for each weekday are that weekday's contacts over the number of such days in the
  period; the hour-by-hour shape is pooled over Monday to Friday and over the weekend,
  because a single weekday-hour cell holds only a handful of contacts in a few months.
- **RAG mix**: the share of rated contacts at each rating (the contact's current rating;
  unrated contacts are left out and counted in the note).
- **Agencies asked**: for each rating and agency, the share of that rating's contacts
  with a check requested from the agency and not waived (a waived check took no work).
- **Work times** are not recorded, so they are estimated from the timestamps that are.
  For each person we take a task to start at the later of when it was ready for them
  (the contact taken, the check requested, the contact ready for a decision) and when
  the same person finished their previous task of that kind, and to end when they
  recorded it (the rating or enquiry, the findings, the decision). That takes out the
  time a task waited behind the same person's other work. It still includes
  interruptions, breaks and other duties, so the estimates are on the long side: a
  scenario built on them errs towards needing more staff, not fewer. Tasks that ran
  past midnight are left out, so nights and weekends between start and end never count
  as work. With at least MIN_WORK_RECORDS tasks, the median and 90th percentile give a
  lognormal; with fewer, a stated default.
- **Staff**: people who hold each role now (screeners, MASH managers, each agency's
  researchers); at least one.
- **Rotas**: the hub's working hours, its nation's bank holidays and its local closure
  days from the area's configuration. If a group recorded at least OUT_OF_HOURS_SHARE of
  its work outside them, it gets on-call cover (one person) for the ratings it worked out
  of hours; so does a group that recorded that share of one rating's work outside them
  (at least MIN_OUT_OF_HOURS_TASKS such tasks), for that rating.
- **Absence**: not in the records; a stated default.
- **Timescales**: the RAG levels' decision timescales and how they are counted.

`calibrate()` reads counts and timestamps only, never anything about a person.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON, closed_days_for_area
from openmash.area.models import RagLevel, WorkingHours
from openmash.area.selectors import rag_levels_active
from openmash.capacity.scenario import (
    WEEKDAYS,
    Arrivals,
    HubHours,
    LogNormal,
    OnCall,
    Rating,
    Rota,
    Scenario,
    Shift,
    StaffGroup,
)
from openmash.contacts.models import Contact
from openmash.core.period import Period
from openmash.core.proportions import Proportion
from openmash.core.roles import Role
from openmash.core.time_text import minutes_text, plural
from openmash.enquiries.models import AgencyCheck, CheckState, ClosureProposal, Decision, RagRating

SCREENING = "screeners"
DECISION = "managers"
# Fewer timed tasks than this and a work time is a stated default, not an estimate.
MIN_WORK_RECORDS = 20
# Defaults where the records cannot say: the worked example's work times ("usually about
# half an hour, one in ten over an hour and a half"; a decision half that) and a daily
# absence of one day in ten (sickness, leave and training).
DEFAULT_WORK = {"screening": (0.5, 1.5), "check": (0.5, 1.5), "decision": (0.25, 0.75)}
DEFAULT_ABSENCE = 0.1
# A group that recorded at least this share of its work of a rating outside the hub's
# hours gets on-call cover outside them for that rating.
OUT_OF_HOURS_SHARE = 0.1
# ...and at least this many tasks of the rating recorded out of hours: one late task is
# not an on-call rota.
MIN_OUT_OF_HOURS_TASKS = 3
# The scenario carries the hub's closed days as dates (the engine has no calendar of its
# own): enough years after its start for the weeks simulated and for edits that move them.
CLOSED_DAYS_YEARS_AHEAD = 5
MIN_DAYS = 7
WEEKEND = (5, 6)


class CalibrationError(ValueError):
    """The period cannot give a scenario (no contacts, none rated, too short)."""


@dataclass(frozen=True)
class Task:
    """One piece of recorded work: who did it, when it was ready for them, when they
    recorded it done, and the contact's rating."""

    person: str
    ready: datetime
    done: datetime
    rating: str


@dataclass(frozen=True)
class Note:
    part: str
    label: str
    value: str
    records: int
    method: str
    estimated: bool = True  # False: a stated default, not from the records

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "label": self.label,
            "value": self.value,
            "records": self.records,
            "method": self.method,
            "estimated": self.estimated,
        }


@dataclass(frozen=True)
class Calibration:
    scenario: Scenario
    notes: dict[str, Any]
    # Staff group name -> what the pages call it ("Screeners", an agency's name).
    labels: dict[str, str]


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def simulation_defaults() -> dict[str, Any]:
    """How long and how often scenarios are simulated unless a manager changes it:
    settings PLANNER_HORIZON_DAYS, PLANNER_WARM_UP_DAYS and PLANNER_REPLICATIONS."""
    return {
        "horizon_days": float(_setting("PLANNER_HORIZON_DAYS", 35)),
        "warm_up_days": float(_setting("PLANNER_WARM_UP_DAYS", 7)),
        "replications": int(_setting("PLANNER_REPLICATIONS", 10)),
    }


# --- arrivals, ratings, checks --------------------------------------------------------


def _weekday_counts(period: Period) -> list[int]:
    counts = [0] * 7
    for offset in range(period.days):
        counts[(period.start + timedelta(days=offset)).weekday()] += 1
    return counts


def _arrivals(contacts: Any, period: Period) -> tuple[Arrivals, Note]:
    cells = (
        contacts.annotate(
            weekday=ExtractIsoWeekDay("received_at", tzinfo=LONDON),
            hour=ExtractHour("received_at", tzinfo=LONDON),
        )
        .values("weekday", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_day = [0] * 7
    by_hour = {"weekday": [0] * 24, "weekend": [0] * 24}
    for cell in cells:
        day = cell["weekday"] - 1
        by_day[day] += cell["n"]
        by_hour["weekend" if day in WEEKEND else "weekday"][cell["hour"]] += cell["n"]
    total = sum(by_day)
    if total == 0:
        raise CalibrationError(f"No contacts were received from {period.text()}")
    days = _weekday_counts(period)
    per_day = [by_day[day] / days[day] if days[day] else 0.0 for day in range(7)]
    rates: list[tuple[float, ...]] = []
    for day in range(7):
        hours = by_hour["weekend" if day in WEEKEND else "weekday"]
        in_type = sum(hours)
        rates.append(tuple(per_day[day] * (count / in_type) if in_type else 0.0 for count in hours))
    weekday_mean = sum(per_day[:5]) / 5
    weekend_mean = sum(per_day[5:]) / 2
    return Arrivals(rates=tuple(rates)), Note(
        part="arrivals",
        label="Contacts arriving",
        value=f"{weekday_mean:.1f} a weekday, {weekend_mean:.1f} a weekend day",
        records=total,
        method=(
            "Contacts received in the period, by weekday and hour. Each weekday's contacts "
            "a day are its contacts over the number of such days; the hour-by-hour shape "
            "is pooled over Monday to Friday and over the weekend, as one weekday-hour "
            "alone holds few contacts. Bank holidays count as the weekday they fall on."
        ),
    )


def _ratings(
    contacts: Any, levels: Sequence[RagLevel], period: Period
) -> tuple[dict[str, int], Note]:
    counts = {
        row["rag_level__code"]: row["n"]
        for row in contacts.filter(rag_level__isnull=False)
        .values("rag_level__code")
        .annotate(n=Count("id"))
        .order_by()
    }
    rated = sum(counts.get(level.code, 0) for level in levels)
    if rated == 0:
        raise CalibrationError(f"No contact received from {period.text()} has been rated")
    unrated = contacts.filter(rag_level__isnull=True).count()
    # Each share with what it is of, "amber 60.0% (3 of 5)", however few: the scenario is
    # calibrated from it.
    mix = ", ".join(
        f"{level.label.lower()} {Proportion(counts.get(level.code, 0), rated).input_text()}"
        for level in levels
    )
    return {level.code: counts.get(level.code, 0) for level in levels}, Note(
        part="ratings",
        label="RAG mix",
        value=mix,
        records=rated,
        method=(
            "Each rated contact's current rating. "
            + (
                f"{plural(unrated, 'contact')} with no rating (passed to an allocated worker, or not "
                "yet screened) are left out."
                if unrated
                else "Every contact in the period was rated."
            )
        ),
    )


def _checks_asked(
    contacts: Any, ratings: dict[str, int]
) -> tuple[dict[str, dict[int, float]], list[Agency], Note]:
    rows = (
        AgencyCheck.objects.filter(contact__in=contacts.filter(rag_level__isnull=False))
        .exclude(state=CheckState.WAIVED)
        .values("contact__rag_level__code", "agency_id")
        .annotate(n=Count("contact", distinct=True))
        .order_by()
    )
    asked: dict[str, dict[int, float]] = defaultdict(dict)
    checks = 0
    for row in rows:
        level = row["contact__rag_level__code"]
        checks += row["n"]
        if ratings.get(level):
            asked[level][row["agency_id"]] = min(1.0, row["n"] / ratings[level])
    agency_ids = {agency_id for by_agency in asked.values() for agency_id in by_agency}
    agencies = list(Agency.objects.filter(pk__in=agency_ids).order_by("name"))
    waived = AgencyCheck.objects.filter(
        contact__in=contacts.filter(rag_level__isnull=False), state=CheckState.WAIVED
    ).count()
    return (
        asked,
        agencies,
        Note(
            part="checks",
            label="Agencies asked to check",
            value=f"{plural(checks, 'check')} from {plural(len(agencies), 'agency', 'agencies')}",
            records=checks,
            method=(
                "For each rating and agency, the share of that rating's contacts with a "
                "check requested from the agency"
                + (
                    f"; {waived} waived checks are left out, as they took no research."
                    if waived
                    else "."
                )
            ),
        ),
    )


# --- work: tasks from the timestamps --------------------------------------------------


def _screening_tasks(contacts: Any) -> list[Task]:
    """From the screener taking the contact to the enquiry being opened (its first check
    requested), else a closure proposed, else the first RAG rating."""
    rows = (
        contacts.filter(assigned_to__isnull=False, assigned_at__isnull=False)
        .annotate(
            first_check=Min("agency_checks__requested_at"),
            first_proposal=Min("closure_proposals__proposed_at"),
            first_rating=Min("rag_ratings__set_at"),
        )
        .values(
            "assigned_to_id",
            "assigned_at",
            "first_check",
            "first_proposal",
            "first_rating",
            "rag_level__code",
        )
        .order_by()
    )
    tasks = []
    for row in rows:
        done = row["first_check"] or row["first_proposal"] or row["first_rating"]
        if done is None or row["rag_level__code"] is None:
            continue
        tasks.append(
            Task(
                person=f"user:{row['assigned_to_id']}",
                ready=row["assigned_at"],
                done=done,
                rating=row["rag_level__code"],
            )
        )
    return tasks


def _check_tasks(contacts: Any) -> dict[int, list[Task]]:
    """From the check being requested to its findings being recorded, by agency."""
    rows = (
        AgencyCheck.objects.filter(
            contact__in=contacts.filter(rag_level__isnull=False),
            state=CheckState.COMPLETED,
            completed_at__isnull=False,
        )
        .values(
            "agency_id",
            "completed_by_id",
            "completed_by_token_id",
            "requested_at",
            "completed_at",
            "contact__rag_level__code",
        )
        .order_by()
    )
    tasks: dict[int, list[Task]] = defaultdict(list)
    for row in rows:
        person = (
            f"user:{row['completed_by_id']}"
            if row["completed_by_id"]
            else f"token:{row['completed_by_token_id']}"
        )
        tasks[row["agency_id"]].append(
            Task(
                person=person,
                ready=row["requested_at"],
                done=row["completed_at"],  # type: ignore[arg-type]  # filtered not null
                rating=row["contact__rag_level__code"],
            )
        )
    return tasks


def _decision_tasks(contacts: Any) -> list[Task]:
    """From the contact being ready for a decision (its last check answered or waived;
    else the closure proposal; else its first rating) to the manager's decision."""
    decisions = list(
        Decision.objects.filter(
            contact__in=contacts.filter(rag_level__isnull=False), amends__isnull=True
        )
        .values(
            "contact_id",
            "decided_by_id",
            "decided_at",
            "closure_proposal_id",
            "contact__rag_level__code",
        )
        .order_by()
    )
    contact_ids = [row["contact_id"] for row in decisions]
    last_answer: dict[int, datetime] = {}
    for check in AgencyCheck.objects.filter(contact_id__in=contact_ids).values(
        "contact_id", "completed_at", "waived_at"
    ):
        answered = check["completed_at"] or check["waived_at"]
        if answered is None:
            continue
        previous = last_answer.get(check["contact_id"])
        last_answer[check["contact_id"]] = answered if previous is None else max(previous, answered)
    proposals = dict(
        ClosureProposal.objects.filter(contact_id__in=contact_ids).values_list("pk", "proposed_at")
    )
    first_rating = dict(
        RagRating.objects.filter(contact_id__in=contact_ids)
        .values("contact_id")
        .annotate(first=Min("set_at"))
        .values_list("contact_id", "first")
        .order_by()
    )
    tasks = []
    for row in decisions:
        ready = (
            last_answer.get(row["contact_id"])
            or proposals.get(row["closure_proposal_id"])
            or first_rating.get(row["contact_id"])
        )
        if ready is None:
            continue
        tasks.append(
            Task(
                person=f"user:{row['decided_by_id']}",
                ready=ready,
                done=row["decided_at"],
                rating=row["contact__rag_level__code"],
            )
        )
    return tasks


def work_hours(tasks: Iterable[Task]) -> list[float]:
    """Each task's work in hours: from the later of its being ready and the same person
    finishing their previous task, to its being recorded done. Tasks whose work would
    span midnight (local time) are left out: the night is not work."""
    by_person: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        by_person[task.person].append(task)
    hours: list[float] = []
    for own in by_person.values():
        previous_done: datetime | None = None
        for task in sorted(own, key=lambda task: (task.done, task.ready)):
            start = task.ready if previous_done is None else max(task.ready, previous_done)
            previous_done = task.done
            if task.done <= start:
                continue
            if start.astimezone(LONDON).date() != task.done.astimezone(LONDON).date():
                continue
            hours.append((task.done - start).total_seconds() / 3600)
    return hours


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (as numpy's default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def _minutes(hours: float) -> str:
    minutes = hours * 60
    if minutes < 90:
        return minutes_text(minutes)
    return f"{hours:.1f} hours"


def _work_time(
    tasks: list[Task], kind: str, label: str, part: str, period: Period
) -> tuple[LogNormal, Note]:
    hours = work_hours(tasks)
    median_default, p90_default = DEFAULT_WORK[kind]
    method = (
        "Work is not recorded, so it is estimated: each task runs from the later of its "
        "being ready and the same person finishing their previous task, to its being "
        "recorded done. That removes waiting behind the same person's other work but "
        "still includes interruptions and other duties, so it errs long. Tasks that ran "
        "past midnight are left out."
    )
    if len(hours) >= MIN_WORK_RECORDS:
        median, p90 = round(quantile(hours, 0.5), 4), round(quantile(hours, 0.9), 4)
        if median > 0 and p90 > median:
            return LogNormal(median_hours=median, p90_hours=p90), Note(
                part=part,
                label=label,
                value=f"usually about {_minutes(median)}; one in ten over {_minutes(p90)}",
                records=len(hours),
                method=method,
            )
    return LogNormal(median_hours=median_default, p90_hours=p90_default), Note(
        part=part,
        label=label,
        value=(
            f"usually about {_minutes(median_default)}; one in ten over "
            f"{_minutes(p90_default)} (a default)"
        ),
        records=len(hours),
        method=(
            f"Only {len(hours)} timed tasks from {period.text()} (at least "
            f"{MIN_WORK_RECORDS} are needed), so this is a stated default. " + method
        ),
        estimated=False,
    )


# --- rotas and hub hours ----------------------------------------------------------------


def _float_hour(moment: time) -> float:
    return moment.hour + moment.minute / 60


def _hub_hours(*, first: date, simulated_from: date) -> tuple[HubHours, frozenset[date]]:
    """The hub's hours, with its closed days from the start of the recorded period (or of
    the simulation, if earlier: a replay's warm-up) to CLOSED_DAYS_YEARS_AHEAD years after
    the simulation starts."""
    hours = WorkingHours.objects.first() or WorkingHours()
    last = date(simulated_from.year + CLOSED_DAYS_YEARS_AHEAD, 12, 31)
    holidays = closed_days_for_area().between(min(first, simulated_from), last)
    return (
        HubHours(
            opens=_float_hour(hours.opens),
            closes=_float_hour(hours.closes) if hours.closes != time(0) else 24.0,
            days=tuple(WEEKDAYS[day] for day in sorted(hours.weekdays)),
            bank_holidays=holidays,
        ),
        frozenset(holidays),
    )


def _out_of_hours(moment: datetime, hub: HubHours, holidays: frozenset[date]) -> bool:
    local = moment.astimezone(LONDON)
    if WEEKDAYS[local.weekday()] not in hub.days or local.date() in holidays:
        return True
    hour = local.hour + local.minute / 60
    return not hub.opens <= hour < hub.closes


def _rota(
    tasks: list[Task], hub: HubHours, holidays: frozenset[date], ratings: Sequence[str]
) -> tuple[Rota, str]:
    office = Rota(shifts=(Shift(days=hub.days, start=hub.opens, end=hub.closes),))
    if not tasks:
        return office, "the hub's hours"
    outside = [task for task in tasks if _out_of_hours(task.done, hub, holidays)]
    share = len(outside) / len(tasks)
    # Judged rating by rating: red is a small part of every group's work, so a group that
    # does all its red work on call can still do under a tenth of all its work out of
    # hours, and without cover the replay would leave its red contacts to the morning.
    by_rating: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # rating -> [outside, all]
    for task in tasks:
        by_rating[task.rating][1] += 1
    for task in outside:
        by_rating[task.rating][0] += 1

    def on_call_for(rating: str) -> bool:
        done_outside, done = by_rating[rating]
        if not done_outside:
            return False
        if share >= OUT_OF_HOURS_SHARE:  # the group as a whole works out of hours
            return True
        return done_outside >= MIN_OUT_OF_HOURS_TASKS and done_outside / done >= OUT_OF_HOURS_SHARE

    covered = tuple(rating for rating in ratings if on_call_for(rating))
    if not covered:
        return office, f"the hub's hours ({share:.0%} of its work was recorded outside them)"
    shares = ", ".join(
        f"{by_rating[rating][0] / by_rating[rating][1]:.0%} of its {rating} work"
        for rating in covered
    )
    return (
        Rota(shifts=office.shifts, on_call=OnCall(people=1, ratings=covered)),
        f"the hub's hours, with one person on call outside them for {', '.join(covered)} "
        f"({shares} was recorded outside the hub's hours)",
    )


# --- staff ------------------------------------------------------------------------------


def current_staff(agency_ids: Sequence[int]) -> tuple[int, int, dict[int, int]]:
    """People holding each role now: screeners, MASH managers, and each agency's
    researchers."""
    active = User.objects.filter(is_active=True)
    screeners = active.filter(role_grants__role=Role.SCREENER).distinct().count()
    managers = active.filter(role_grants__role=Role.MASH_MANAGER).distinct().count()
    researchers = dict(
        active.filter(role_grants__role=Role.AGENCY_RESEARCHER, agency_id__in=agency_ids)
        .values("agency_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("agency_id", "n")
        .order_by()
    )
    return screeners, managers, researchers


def _people_in(tasks: Iterable[Task], period: Period) -> int:
    start, end = period.bounds()
    return len({task.person for task in tasks if start <= task.done < end})


# --- the scenario -----------------------------------------------------------------------


def _from_first_record(period: Period) -> Period:
    """The period, starting no earlier than the day the first contact was recorded."""
    first = Contact.objects.order_by("received_at").values_list("received_at", flat=True).first()
    if first is None:
        return period
    first_day = first.astimezone(LONDON).date()
    if first_day <= period.start:
        return period
    clipped = Period(first_day, period.end)
    if clipped.days < MIN_DAYS:
        raise CalibrationError(
            f"OpenMASH's records begin on {first_day:%-d %B %Y}: choose a period of at least "
            f"{MIN_DAYS} days from then"
        )
    return clipped


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def calibrate(
    *,
    period: Period,
    today: date,
    name: str = "",
    staffing: str = "current",
    start: date | None = None,
    horizon_days: float | None = None,
    warm_up_days: float | None = None,
) -> Calibration:
    """A scenario estimated from the contacts received in `period`, with the notes.

    `staffing="current"` counts the people holding each role now (for planning);
    `staffing="recorded"` counts the people who recorded work of each kind in the period
    (for replaying it). Raises CalibrationError if the period has no contacts, none
    rated, or is shorter than MIN_DAYS days."""
    if period.end < period.start:
        raise CalibrationError("The end of the period must be on or after its start")
    if period.days < MIN_DAYS:
        raise CalibrationError(f"The period must be at least {MIN_DAYS} days long")
    if period.end > today:
        raise CalibrationError("The period must be in the past")
    requested = period
    period = _from_first_record(period)
    begin, end = period.bounds()
    contacts = Contact.objects.filter(received_at__gte=begin, received_at__lt=end)
    levels = rag_levels_active()
    if not levels:
        raise CalibrationError("The area has no active RAG levels")

    arrivals, arrivals_note = _arrivals(contacts, period)
    rated, ratings_note = _ratings(contacts, levels, period)
    asked, agencies, checks_note = _checks_asked(contacts, rated)
    total_rated = sum(rated.values())
    ratings = tuple(
        Rating(
            name=level.code,
            share=rated[level.code] / total_rated,
            timescale_hours=float(level.decision_hours),
            counting=level.decision_counting,  # type: ignore[arg-type]
            checks={
                agency.name: round(asked[level.code][agency.pk], 4)
                for agency in agencies
                if agency.pk in asked.get(level.code, {})
            },
        )
        for level in levels
    )
    rating_names = [level.code for level in levels]
    simulated_from = start or next_monday(today)
    hub, holidays = _hub_hours(first=period.start, simulated_from=simulated_from)

    screening_tasks = _screening_tasks(contacts)
    check_tasks = _check_tasks(contacts)
    decision_tasks = _decision_tasks(contacts)
    screeners, managers, researchers = current_staff([agency.pk for agency in agencies])
    if staffing == "recorded":
        screeners = _people_in(screening_tasks, period)
        managers = _people_in(decision_tasks, period)
        researchers = {
            agency.pk: _people_in(check_tasks.get(agency.pk, []), period) for agency in agencies
        }
    staff_source = (
        "people who recorded that work in the period"
        if staffing == "recorded"
        else "people who hold the role now"
    )

    notes: list[Note] = [arrivals_note, ratings_note, checks_note]
    if period != requested:
        notes.insert(
            0,
            Note(
                part="period",
                label="Period",
                value=period.text(),
                records=arrivals_note.records,
                method=f"OpenMASH's records begin on {period.start:%-d %B %Y}, after the "
                f"start of the period asked for ({requested.text()}): the days before "
                "them are left out, or they would count as days with no contacts.",
            ),
        )
    labels = {SCREENING: "Screeners", DECISION: "Managers"}

    def group(
        name: str, label: str, kind: str, tasks: list[Task], staff: int, role: str
    ) -> StaffGroup:
        work, note = _work_time(tasks, kind, f"{label}: work time", f"work:{name}", period)
        rota, rota_text = _rota(tasks, hub, holidays, rating_names)
        notes.append(note)
        notes.append(
            Note(
                part=f"staff:{name}",
                label=f"{label}: staff",
                value=f"{max(1, staff)}, working {rota_text}",
                records=staff,
                method=f"The {staff_source} ({role})"
                + ("; nobody does, so one is assumed." if staff < 1 else "."),
                estimated=staff >= 1,
            )
        )
        labels[name] = label
        return StaffGroup(
            name=name, staff=max(1, staff), work_time=work, rota=rota, absence=DEFAULT_ABSENCE
        )

    screening = group(SCREENING, "Screeners", "screening", screening_tasks, screeners, "screeners")
    agency_groups = tuple(
        group(
            agency.name,
            agency.name,
            "check",
            check_tasks.get(agency.pk, []),
            researchers.get(agency.pk, 0),
            f"{agency.name} researchers",
        )
        for agency in agencies
    )
    decision = group(DECISION, "Managers", "decision", decision_tasks, managers, "MASH managers")
    notes.append(
        Note(
            part="absence",
            label="Absence",
            value=f"{DEFAULT_ABSENCE:.0%} of days, in every group",
            records=0,
            method="Sickness, leave and training are not in OpenMASH's records: a stated "
            "default. Change it to the hub's own figure.",
            estimated=False,
        )
    )
    notes.append(
        Note(
            part="timescales",
            label="Timescales",
            value=", ".join(
                f"{level.label.lower()} {float(level.decision_hours):g} "
                f"{'working' if level.decision_counting == 'working' else 'clock'} hours"
                for level in levels
            ),
            records=len(levels),
            method="The area's RAG levels: the time from receipt to the MASH decision.",
        )
    )
    defaults = simulation_defaults()
    horizon = horizon_days if horizon_days is not None else defaults["horizon_days"]
    warm_up = warm_up_days if warm_up_days is not None else defaults["warm_up_days"]
    scenario = Scenario(
        name=name,
        arrivals=arrivals,
        ratings=ratings,
        screening=screening,
        agencies=agency_groups,
        decision=decision,
        hub_hours=hub,
        start=simulated_from,
        horizon_days=horizon,
        warm_up_days=warm_up,
        replications=defaults["replications"],
        seed=1,
    )
    return Calibration(
        scenario=scenario,
        notes={
            "period": period.to_dict(),
            "period_text": period.text(),
            "contacts": arrivals_note.records,
            "staffing": staffing,
            "estimates": [note.to_dict() for note in notes],
            "made_at": datetime.now(UTC).isoformat(),
        },
        labels=labels,
    )
