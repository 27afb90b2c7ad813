"""A scenario: everything the simulation needs to know about one way of running the hub.

Frozen dataclasses, JSON both ways (`to_dict()` / `Scenario.from_dict()`), validated when
built: a bad value raises ValueError whose message starts with the field's path, e.g.
"ratings[1].share: must be between 0 and 1", so a form or a command can point at it.

Times are in hours. Simulation time 0 is midnight at the start of `start` (local time;
clock changes are ignored, so every day has 24 hours). Weekdays are named "mon".."sun".
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKING_WEEK: tuple[str, ...] = WEEKDAYS[:5]
Counting = Literal["clock", "working"]
COUNTINGS: tuple[str, ...] = ("clock", "working")
# z such that P(Z <= z) = 0.9 for a standard normal: turns a median and a 90th
# percentile into the parameters of a lognormal.
Z_90 = 1.2815515655446004
SHARE_TOLERANCE = 1e-6

JsonDict: TypeAlias = dict[str, Any]


def _fail(path: str, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


def _require(condition: bool, path: str, message: str) -> None:
    if not condition:
        raise _fail(path, message)


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- work times: a small tagged union -------------------------------------------------


@dataclass(frozen=True)
class Exponential:
    """Work time with an exponential distribution (memoryless; the queueing-theory case)."""

    mean_hours: float
    kind: Literal["exponential"] = field(default="exponential", init=False)

    def mean(self) -> float:
        return self.mean_hours

    def to_dict(self) -> JsonDict:
        return {"kind": self.kind, "mean_hours": self.mean_hours}


@dataclass(frozen=True)
class LogNormal:
    """Work time with a lognormal distribution, given as people describe it: "usually
    about `median_hours`, one in ten takes longer than `p90_hours`"."""

    median_hours: float
    p90_hours: float
    kind: Literal["lognormal"] = field(default="lognormal", init=False)

    @property
    def mu(self) -> float:
        return math.log(self.median_hours)

    @property
    def sigma(self) -> float:
        return (math.log(self.p90_hours) - math.log(self.median_hours)) / Z_90

    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    def to_dict(self) -> JsonDict:
        return {"kind": self.kind, "median_hours": self.median_hours, "p90_hours": self.p90_hours}


@dataclass(frozen=True)
class Fixed:
    """Work time that is always the same (for tests and for "it always takes 15 minutes")."""

    hours: float
    kind: Literal["fixed"] = field(default="fixed", init=False)

    def mean(self) -> float:
        return self.hours

    def to_dict(self) -> JsonDict:
        return {"kind": self.kind, "hours": self.hours}


WorkTime: TypeAlias = Exponential | LogNormal | Fixed


def _validate_work_time(work: WorkTime, path: str) -> None:
    match work:
        case Exponential(mean_hours=mean):
            _require(_finite(mean) and mean > 0, f"{path}.mean_hours", "must be more than 0")
        case LogNormal(median_hours=median, p90_hours=p90):
            _require(_finite(median) and median > 0, f"{path}.median_hours", "must be more than 0")
            _require(
                _finite(p90) and p90 > median,
                f"{path}.p90_hours",
                "must be more than median_hours",
            )
        case Fixed(hours=hours):
            _require(_finite(hours) and hours > 0, f"{path}.hours", "must be more than 0")
        case _:
            raise _fail(path, "must be an exponential, lognormal or fixed work time")


# --- rotas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """Hours worked on the given weekdays, `start` to `end` hours after midnight (a night
    shift is two shifts: 22 to 24 and 0 to 6 the next day)."""

    days: tuple[str, ...]
    start: float
    end: float

    def to_dict(self) -> JsonDict:
        return {"days": list(self.days), "start": self.start, "end": self.end}


@dataclass(frozen=True)
class OnCall:
    """People who cover the hours outside the rota (nights, weekends, bank holidays) for
    the most urgent contacts only. They are extra to the group's staff, are assumed to be
    covered when one of them is absent, and are not counted in its utilisation."""

    people: int = 1
    ratings: tuple[str, ...] = ("red",)

    def to_dict(self) -> JsonDict:
        return {"people": self.people, "ratings": list(self.ratings)}


@dataclass(frozen=True)
class Rota:
    shifts: tuple[Shift, ...]
    works_bank_holidays: bool = False
    on_call: OnCall | None = None

    @classmethod
    def always(cls) -> "Rota":
        """Present every hour of every day, bank holidays too (the queueing-theory case)."""
        return cls(shifts=(Shift(days=WEEKDAYS, start=0, end=24),), works_bank_holidays=True)

    @classmethod
    def office(
        cls,
        *,
        start: float = 9,
        end: float = 17,
        days: tuple[str, ...] = WORKING_WEEK,
        on_call: OnCall | None = None,
    ) -> "Rota":
        return cls(shifts=(Shift(days=days, start=start, end=end),), on_call=on_call)

    def to_dict(self) -> JsonDict:
        return {
            "shifts": [shift.to_dict() for shift in self.shifts],
            "works_bank_holidays": self.works_bank_holidays,
            "on_call": self.on_call.to_dict() if self.on_call else None,
        }


# --- staff ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffGroup:
    """The people who do one stage: the screeners, one agency's researchers, the managers
    who decide. Each of `staff` people works the rota and is absent for a whole day with
    probability `absence` (sickness, leave, training), independently of the others."""

    name: str
    staff: int
    work_time: WorkTime
    rota: Rota
    absence: float = 0.0

    def to_dict(self) -> JsonDict:
        return {
            "name": self.name,
            "staff": self.staff,
            "work_time": self.work_time.to_dict(),
            "rota": self.rota.to_dict(),
            "absence": self.absence,
        }


# --- ratings, arrivals, hub hours -----------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """A RAG rating: the share of contacts given it, the timescale from the contact's
    arrival to the manager's decision, how that timescale is counted, and for each agency
    the probability that it is asked to check."""

    name: str
    share: float
    timescale_hours: float
    counting: Counting = "clock"
    checks: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen all the way down: a dict given here cannot be changed behind our back.
        object.__setattr__(self, "checks", MappingProxyType(dict(self.checks)))

    def to_dict(self) -> JsonDict:
        return {
            "name": self.name,
            "share": self.share,
            "timescale_hours": self.timescale_hours,
            "counting": self.counting,
            "checks": dict(self.checks),
        }


@dataclass(frozen=True)
class Arrivals:
    """Contacts per hour for each hour of each weekday: `rates[0][9]` is the rate on a
    Monday between 09:00 and 10:00."""

    rates: tuple[tuple[float, ...], ...]

    @classmethod
    def constant(cls, per_hour: float) -> "Arrivals":
        return cls(rates=tuple(tuple(per_hour for _ in range(24)) for _ in WEEKDAYS))

    @classmethod
    def from_profile(
        cls, *, per_day: Sequence[float], hourly_shares: Sequence[float]
    ) -> "Arrivals":
        """From contacts per day (Monday first) and the share of a day's contacts that
        arrive in each hour (24 shares adding up to 1)."""
        _require(len(per_day) == 7, "per_day", "must have 7 values, Monday first")
        _require(len(hourly_shares) == 24, "hourly_shares", "must have 24 values")
        total = sum(hourly_shares)
        _require(abs(total - 1) < SHARE_TOLERANCE, "hourly_shares", "must add up to 1")
        return cls(rates=tuple(tuple(day * share for share in hourly_shares) for day in per_day))

    def rate(self, weekday: int, hour: int) -> float:
        return self.rates[weekday][hour]

    def per_week(self) -> float:
        return sum(sum(day) for day in self.rates)

    def to_dict(self) -> JsonDict:
        return {"rates": [list(day) for day in self.rates]}


@dataclass(frozen=True)
class HubHours:
    """When the hub is open: the basis of timescales counted in working hours."""

    opens: float = 9
    closes: float = 17
    days: tuple[str, ...] = WORKING_WEEK
    bank_holidays: tuple[date, ...] = ()

    def to_dict(self) -> JsonDict:
        return {
            "opens": self.opens,
            "closes": self.closes,
            "days": list(self.days),
            "bank_holidays": [day.isoformat() for day in self.bank_holidays],
        }


# --- the scenario ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One way of running the hub, and how long and how often to simulate it.

    Contacts arrive, are screened and rated by `screening`, are checked by each agency
    in `agencies` that their rating asks (in parallel), and are decided by `decision`.
    `decision=None` leaves a single stage: the queueing-theory validation uses it.
    Ratings are listed most urgent first. Contacts arriving in the first `warm_up_days`
    are simulated but not counted."""

    arrivals: Arrivals
    ratings: tuple[Rating, ...]
    screening: StaffGroup
    agencies: tuple[StaffGroup, ...] = ()
    decision: StaffGroup | None = None
    hub_hours: HubHours = field(default_factory=HubHours)
    start: date = date(2025, 1, 6)
    horizon_days: float = 35
    warm_up_days: float = 7
    replications: int = 10
    seed: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        _validate_scenario(self)

    # What the engine and the staffing search use.
    def groups(self) -> tuple[StaffGroup, ...]:
        """Every staff group, in the order a contact meets them."""
        return (self.screening, *self.agencies, *((self.decision,) if self.decision else ()))

    def group(self, name: str) -> StaffGroup:
        for group in self.groups():
            if group.name == name:
                return group
        raise KeyError(name)

    def with_staff(self, staffing: Mapping[str, int]) -> "Scenario":
        """The same scenario with some groups' numbers of staff changed."""
        unknown = sorted(set(staffing) - {group.name for group in self.groups()})
        _require(not unknown, "staffing", f"no staff group called {', '.join(unknown)}")

        def staffed(group: StaffGroup) -> StaffGroup:
            return replace(group, staff=staffing.get(group.name, group.staff))

        return replace(
            self,
            screening=staffed(self.screening),
            agencies=tuple(staffed(agency) for agency in self.agencies),
            decision=staffed(self.decision) if self.decision else None,
        )

    def staffing(self) -> dict[str, int]:
        return {group.name: group.staff for group in self.groups()}

    def to_dict(self) -> JsonDict:
        return {
            "name": self.name,
            "arrivals": self.arrivals.to_dict(),
            "ratings": [rating.to_dict() for rating in self.ratings],
            "screening": self.screening.to_dict(),
            "agencies": [agency.to_dict() for agency in self.agencies],
            "decision": self.decision.to_dict() if self.decision else None,
            "hub_hours": self.hub_hours.to_dict(),
            "start": self.start.isoformat(),
            "horizon_days": self.horizon_days,
            "warm_up_days": self.warm_up_days,
            "replications": self.replications,
            "seed": self.seed,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        reader = _Reader(data, "")
        decision = reader.optional("decision")
        return cls(
            name=str(reader.get("name", "")),
            arrivals=_arrivals_from(reader.child("arrivals")),
            ratings=tuple(_rating_from(item) for item in reader.children("ratings")),
            screening=_group_from(reader.child("screening")),
            agencies=tuple(_group_from(item) for item in reader.children("agencies", ())),
            decision=_group_from(reader.child("decision")) if decision is not None else None,
            hub_hours=_hub_hours_from(reader.child("hub_hours"))
            if reader.optional("hub_hours") is not None
            else HubHours(),
            start=reader.date("start", date(2025, 1, 6)),
            horizon_days=reader.number("horizon_days", 35),
            warm_up_days=reader.number("warm_up_days", 7),
            replications=reader.integer("replications", 10),
            seed=reader.integer("seed", 1),
        )

    @classmethod
    def from_json(cls, text: str) -> "Scenario":
        return cls.from_dict(json.loads(text))


# --- validation -----------------------------------------------------------------------


def _validate_days(days: Sequence[str], path: str) -> None:
    for index, day in enumerate(days):
        _require(
            day in WEEKDAYS, f"{path}[{index}]", f"{day!r} is not one of {', '.join(WEEKDAYS)}"
        )


def _validate_rota(rota: Rota, path: str, rating_names: Sequence[str]) -> None:
    _require(bool(rota.shifts), f"{path}.shifts", "needs at least one shift")
    for index, shift in enumerate(rota.shifts):
        shift_path = f"{path}.shifts[{index}]"
        _require(bool(shift.days), f"{shift_path}.days", "needs at least one weekday")
        _validate_days(shift.days, f"{shift_path}.days")
        _require(
            _finite(shift.start) and 0 <= shift.start < 24,
            f"{shift_path}.start",
            "must be an hour from 0 to 24",
        )
        _require(
            _finite(shift.end) and shift.start < shift.end <= 24,
            f"{shift_path}.end",
            "must be after start and no later than 24",
        )
    if rota.on_call is not None:
        _require(rota.on_call.people >= 1, f"{path}.on_call.people", "must be at least 1")
        _require(bool(rota.on_call.ratings), f"{path}.on_call.ratings", "needs a rating")
        for index, name in enumerate(rota.on_call.ratings):
            _require(
                name in rating_names,
                f"{path}.on_call.ratings[{index}]",
                f"no rating called {name!r}",
            )


def _validate_group(group: StaffGroup, path: str, rating_names: Sequence[str]) -> None:
    _require(bool(group.name.strip()), f"{path}.name", "must not be empty")
    _require(
        isinstance(group.staff, int) and group.staff >= 1, f"{path}.staff", "must be at least 1"
    )
    _validate_work_time(group.work_time, f"{path}.work_time")
    _validate_rota(group.rota, f"{path}.rota", rating_names)
    _require(
        _finite(group.absence) and 0 <= group.absence < 1,
        f"{path}.absence",
        "must be a probability from 0 up to (not including) 1",
    )


def _validate_scenario(scenario: Scenario) -> None:
    rates = scenario.arrivals.rates
    _require(len(rates) == 7, "arrivals.rates", "must have 7 rows, Monday first")
    for day, row in enumerate(rates):
        _require(len(row) == 24, f"arrivals.rates[{day}]", "must have 24 hourly rates")
        for hour, rate in enumerate(row):
            _require(
                _finite(rate) and rate >= 0,
                f"arrivals.rates[{day}][{hour}]",
                "must be 0 or more contacts an hour",
            )
    _require(scenario.arrivals.per_week() > 0, "arrivals.rates", "no contacts ever arrive")

    _require(bool(scenario.ratings), "ratings", "needs at least one rating")
    rating_names = [rating.name for rating in scenario.ratings]
    groups = scenario.groups()
    group_names = [group.name for group in groups]
    agency_names = [agency.name for agency in scenario.agencies]
    for index, rating in enumerate(scenario.ratings):
        path = f"ratings[{index}]"
        _require(bool(rating.name.strip()), f"{path}.name", "must not be empty")
        _require(rating_names.index(rating.name) == index, f"{path}.name", "is used by two ratings")
        _require(
            _finite(rating.share) and 0 <= rating.share <= 1,
            f"{path}.share",
            "must be between 0 and 1",
        )
        _require(
            _finite(rating.timescale_hours) and rating.timescale_hours > 0,
            f"{path}.timescale_hours",
            "must be more than 0",
        )
        _require(
            rating.counting in COUNTINGS,
            f"{path}.counting",
            "must be 'clock' or 'working'",
        )
        for asked, probability in rating.checks.items():
            _require(
                asked in agency_names,
                f"{path}.checks.{asked}",
                "no agency of that name in agencies",
            )
            _require(
                _finite(probability) and 0 <= probability <= 1,
                f"{path}.checks.{asked}",
                "must be a probability between 0 and 1",
            )
    total = sum(rating.share for rating in scenario.ratings)
    _require(
        abs(total - 1) < SHARE_TOLERANCE,
        "ratings",
        f"shares must add up to 1 (they add up to {total:g})",
    )

    _validate_group(scenario.screening, "screening", rating_names)
    for index, agency in enumerate(scenario.agencies):
        _validate_group(agency, f"agencies[{index}]", rating_names)
    if scenario.decision is not None:
        _validate_group(scenario.decision, "decision", rating_names)
    for group in groups:
        _require(
            group_names.count(group.name) == 1,
            "agencies",
            f"two staff groups are called {group.name!r}",
        )

    hub = scenario.hub_hours
    _require(
        _finite(hub.opens) and 0 <= hub.opens < 24,
        "hub_hours.opens",
        "must be an hour from 0 to 24",
    )
    _require(
        _finite(hub.closes) and hub.opens < hub.closes <= 24,
        "hub_hours.closes",
        "must be after opens and no later than 24",
    )
    _validate_days(hub.days, "hub_hours.days")
    if any(rating.counting == "working" for rating in scenario.ratings):
        _require(bool(hub.days), "hub_hours.days", "needs an open day to count working hours")

    _require(
        _finite(scenario.horizon_days) and scenario.horizon_days > 0,
        "horizon_days",
        "must be more than 0",
    )
    _require(
        _finite(scenario.warm_up_days) and 0 <= scenario.warm_up_days < scenario.horizon_days,
        "warm_up_days",
        "must be 0 or more and less than horizon_days",
    )
    _require(
        isinstance(scenario.replications, int) and scenario.replications >= 2,
        "replications",
        "must be at least 2 (a confidence interval needs two)",
    )
    _require(isinstance(scenario.seed, int), "seed", "must be a whole number")


# --- reading JSON, with the path of whatever is wrong ---------------------------------

_MISSING = object()


class _Reader:
    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise _fail(path or "scenario", "must be an object")
        self.data = data
        self.path = path

    def _path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = _MISSING) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise _fail(self._path(key), "is missing")
        return default

    def optional(self, key: str) -> Any:
        return self.data.get(key)

    def child(self, key: str) -> "_Reader":
        return _Reader(self.get(key), self._path(key))

    def children(self, key: str, default: Any = _MISSING) -> list["_Reader"]:
        items = self.get(key, default)
        if not isinstance(items, list | tuple):
            raise _fail(self._path(key), "must be a list")
        return [_Reader(item, f"{self._path(key)}[{index}]") for index, item in enumerate(items)]

    def number(self, key: str, default: Any = _MISSING) -> float:
        value = self.get(key, default)
        if not _finite(value):
            raise _fail(self._path(key), "must be a number")
        return float(value)

    def integer(self, key: str, default: Any = _MISSING) -> int:
        value = self.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(self._path(key), "must be a whole number")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self.get(key, default)
        if not isinstance(value, str):
            raise _fail(self._path(key), "must be text")
        return value

    def texts(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.get(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise _fail(self._path(key), "must be a list of text")
        return tuple(value)

    def date(self, key: str, default: date) -> date:
        value = self.get(key, None)
        if value is None:
            return default
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _fail(self._path(key), "must be a date as YYYY-MM-DD") from None


def _work_time_from(reader: _Reader) -> WorkTime:
    kind = reader.text("kind")
    if kind == "exponential":
        return Exponential(mean_hours=reader.number("mean_hours"))
    if kind == "lognormal":
        return LogNormal(
            median_hours=reader.number("median_hours"), p90_hours=reader.number("p90_hours")
        )
    if kind == "fixed":
        return Fixed(hours=reader.number("hours"))
    raise _fail(f"{reader.path}.kind", "must be 'exponential', 'lognormal' or 'fixed'")


def _rota_from(reader: _Reader) -> Rota:
    on_call = reader.optional("on_call")
    on_call_reader = reader.child("on_call") if on_call is not None else None
    return Rota(
        shifts=tuple(
            Shift(days=item.texts("days"), start=item.number("start"), end=item.number("end"))
            for item in reader.children("shifts")
        ),
        works_bank_holidays=bool(reader.get("works_bank_holidays", False)),
        on_call=OnCall(
            people=on_call_reader.integer("people", 1),
            ratings=on_call_reader.texts("ratings", ("red",)),
        )
        if on_call_reader
        else None,
    )


def _group_from(reader: _Reader) -> StaffGroup:
    return StaffGroup(
        name=reader.text("name"),
        staff=reader.integer("staff"),
        work_time=_work_time_from(reader.child("work_time")),
        rota=_rota_from(reader.child("rota")),
        absence=reader.number("absence", 0.0),
    )


def _rating_from(reader: _Reader) -> Rating:
    checks = reader.get("checks", {})
    if not isinstance(checks, Mapping):
        raise _fail(f"{reader.path}.checks", "must be an object of agency: probability")
    counting = reader.text("counting", "clock")
    if counting not in COUNTINGS:
        raise _fail(f"{reader.path}.counting", "must be 'clock' or 'working'")
    return Rating(
        name=reader.text("name"),
        share=reader.number("share"),
        timescale_hours=reader.number("timescale_hours"),
        counting=counting,  # type: ignore[arg-type]
        checks=dict(checks),
    )


def _arrivals_from(reader: _Reader) -> Arrivals:
    rows = reader.get("rates")
    if not isinstance(rows, list | tuple) or not all(isinstance(row, list | tuple) for row in rows):
        raise _fail(f"{reader.path}.rates", "must be 7 lists of 24 hourly rates")
    return Arrivals(rates=tuple(tuple(row) for row in rows))


def _hub_hours_from(reader: _Reader) -> HubHours:
    holidays = reader.get("bank_holidays", [])
    if not isinstance(holidays, list | tuple):
        raise _fail(f"{reader.path}.bank_holidays", "must be a list of dates")
    days: list[date] = []
    for index, value in enumerate(holidays):
        try:
            days.append(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise _fail(
                f"{reader.path}.bank_holidays[{index}]", "must be a date as YYYY-MM-DD"
            ) from None
    return HubHours(
        opens=reader.number("opens", 9),
        closes=reader.number("closes", 17),
        days=reader.texts("days", WORKING_WEEK),
        bank_holidays=tuple(days),
    )
