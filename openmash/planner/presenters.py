"""What the capacity planning pages show, worked out here so templates hold no logic:
scenarios in plain words, results with their 95% intervals, charts with their tables
and text summaries, recommendations, replays and comparisons."""

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from openmash.capacity.scenario import LogNormal
from openmash.capacity.scenario import Scenario as CapacityScenario
from openmash.core.proportions import Proportion
from openmash.core.time_text import day_text, minutes_text, when_text
from openmash.planner.calibration import simulation_defaults
from openmash.planner.charts import Bar, BarGroup, Series, bar_chart, line_chart
from openmash.planner.models import RunKind, RunState, Scenario, ScenarioRun

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# A run still running after this long has most likely lost its worker (a recommendation
# on a large hub takes minutes, not hours).
STALE_AFTER = timedelta(hours=2)
STATE_TAGS = {
    RunState.QUEUED: "govuk-tag--grey",
    RunState.RUNNING: "govuk-tag--blue",
    RunState.FINISHED: "govuk-tag--green",
    RunState.FAILED: "govuk-tag--red",
}


# --- words for numbers -----------------------------------------------------------------


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "not known"
    # "1 minute", never "1 minutes".
    if hours < 1.5:
        return minutes_text(hours * 60)
    if hours < 72:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def percent(share: float | None) -> str:
    return "not known" if share is None else f"{share:.0%}"


def _interval(estimate: Mapping[str, Any], shown: Any) -> str:
    mean, low, high = estimate.get("mean"), estimate.get("low"), estimate.get("high")
    if mean is None:
        return "longer than the simulation ran" if estimate.get("replications") else "none"
    if low is None or high is None:
        return shown(mean)
    return f"{shown(mean)} ({shown(max(low, 0.0))} to {shown(high)})"


def _recorded_within(actual: Mapping[str, Any]) -> str:
    """The share the hub recorded within timescale, with what it is of ("98.7% (74 of
    75)"), or not enough to say below the minimum sample."""
    counted, breaches = actual.get("contacts"), actual.get("breaches")
    if counted is None or breaches is None:
        return percent(actual["within_timescale"])
    return Proportion(counted - breaches, counted).short_text(none="none")


def share_interval(estimate: Mapping[str, Any]) -> str:
    return _interval(estimate, lambda value: f"{min(max(value, 0.0), 1.0):.0%}")


def hours_interval(estimate: Mapping[str, Any]) -> str:
    return _interval(estimate, hours_text)


def number_interval(estimate: Mapping[str, Any]) -> str:
    return _interval(estimate, lambda value: f"{value:.1f}")


def work_time_text(work: Mapping[str, Any]) -> str:
    if work["kind"] == "lognormal":
        return (
            f"usually about {hours_text(work['median_hours'])}; one in ten over "
            f"{hours_text(work['p90_hours'])}"
        )
    if work["kind"] == "exponential":
        return f"{hours_text(work['mean_hours'])} on average (exponential)"
    return f"always {hours_text(work['hours'])}"


def as_median_and_p90(work: Mapping[str, Any]) -> tuple[float, float]:
    """A work time as "usually about", "one in ten over" (hours), whatever its kind."""
    if work["kind"] == "lognormal":
        return work["median_hours"], work["p90_hours"]
    if work["kind"] == "exponential":
        mean = work["mean_hours"]
        return mean * math.log(2), mean * math.log(10)
    return work["hours"], work["hours"] * 1.5


# --- scenarios -------------------------------------------------------------------------


def labels_of(calibration: Mapping[str, Any]) -> dict[str, str]:
    return dict(calibration.get("labels", {}))


def group_label(labels: Mapping[str, str], name: str) -> str:
    return labels.get(name, name[:1].upper() + name[1:])


def groups_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The staff groups in the order a contact meets them."""
    return [
        data["screening"],
        *data.get("agencies", []),
        *([data["decision"]] if data.get("decision") else []),
    ]


@dataclass(frozen=True)
class SummaryRow:
    key: str
    value: str


def _rota_text(rota: Mapping[str, Any]) -> str:
    shifts = "; ".join(
        f"{', '.join(day.title() for day in shift['days'])} {shift['start']:g}:00 to "
        f"{shift['end']:g}:00"
        for shift in rota["shifts"]
    )
    on_call = rota.get("on_call")
    if on_call:
        shifts += (
            f"; {on_call['people']} on call outside those hours for {', '.join(on_call['ratings'])}"
        )
    return shifts


def simulated_period_text(data: Mapping[str, Any]) -> str:
    start = date.fromisoformat(data["start"])
    counted = start + timedelta(days=data["warm_up_days"])
    end = start + timedelta(days=data["horizon_days"]) - timedelta(days=1)
    return f"{day_text(counted)} to {day_text(end)}"


@dataclass(frozen=True)
class GroupRow:
    name: str
    staff: int
    absence: str
    work_time: str
    rota: str


@dataclass(frozen=True)
class ScenarioRatingRow:
    name: str
    share: str
    timescale: str
    checks: str


@dataclass(frozen=True)
class ScenarioView:
    groups: list[GroupRow]
    ratings: list[ScenarioRatingRow]
    demand: str
    per_week: str
    per_day: list[SummaryRow]
    simulation: list[SummaryRow]


def scenario_view(scenario: Scenario) -> ScenarioView:
    """The scenario in plain words: its staff groups, ratings, demand and simulation."""
    data = scenario.data
    labels = labels_of(scenario.calibration)
    per_day = [sum(day) for day in data["arrivals"]["rates"]]
    months = ", ".join(MONTHS[month - 1] for month in scenario.demand_months)
    return ScenarioView(
        groups=[
            GroupRow(
                name=group_label(labels, group["name"]),
                staff=group["staff"],
                absence=f"{group['absence']:.0%} of days",
                work_time=work_time_text(group["work_time"]),
                rota=_rota_text(group["rota"]),
            )
            for group in groups_of(data)
        ],
        ratings=[
            ScenarioRatingRow(
                name=rating["name"].title(),
                share=f"{rating['share']:.0%}",
                timescale=f"{rating['timescale_hours']:g} {rating['counting']} hours",
                checks=", ".join(
                    f"{group_label(labels, agency)} {share:.0%}"
                    for agency, share in rating["checks"].items()
                )
                or "none",
            )
            for rating in data["ratings"]
        ],
        demand=f"{scenario.demand_multiplier:.0%} of the demand estimated"
        + (f", in {months}" if months else ""),
        per_week=f"{sum(per_day):.0f}",
        per_day=[SummaryRow(WEEKDAY_NAMES[day], f"{per_day[day]:.1f}") for day in range(7)],
        simulation=[
            SummaryRow("Weeks counted", simulated_period_text(data)),
            SummaryRow(
                "Warm-up", f"{data['warm_up_days']:g} days before, simulated but not counted"
            ),
            SummaryRow("Replications", str(data["replications"])),
            SummaryRow("Random seed", str(data["seed"])),
        ],
    )


@dataclass(frozen=True)
class NoteRow:
    label: str
    value: str
    records: str
    method: str
    estimated: bool


@dataclass(frozen=True)
class CalibrationView:
    period: str
    contacts: int
    notes: list[NoteRow]
    replay: bool


def calibration_view(scenario: Scenario) -> CalibrationView | None:
    notes = scenario.calibration
    if not notes.get("estimates"):
        return None
    rows = []
    seen: set[str] = set()
    for note in notes["estimates"]:
        # The same method for every group is said once.
        method = "As above." if note["method"] in seen else note["method"]
        seen.add(note["method"])
        rows.append(
            NoteRow(
                label=note["label"],
                value=note["value"],
                records=f"{note['records']:,}" if note["estimated"] else "default",
                method=method,
                estimated=note["estimated"],
            )
        )
    return CalibrationView(
        period=notes.get("period_text", ""),
        contacts=notes.get("contacts", 0),
        notes=rows,
        replay=bool(notes.get("replay")),
    )


# --- runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    state: str
    state_tag: str
    created: str
    by: str
    replications: int


def run_row(run: ScenarioRun) -> RunRow:
    return RunRow(
        id=run.pk,
        kind=run.get_kind_display(),
        state=run.get_state_display(),
        state_tag=STATE_TAGS[RunState(run.state)],
        created=when_text(run.created_at),
        by=run.created_by.display_name if run.created_by else "",
        replications=run.replications,
    )


def run_title(run: ScenarioRun) -> str:
    if run.kind == RunKind.RECOMMENDATION:
        return f"Staffing recommendation for {run.scenario.name}"
    if run.kind == RunKind.REPLAY and run.period_start and run.period_end:
        return (
            f"The model against the records, {day_text(run.period_start)} to "
            f"{day_text(run.period_end)}"
        )
    return f"Simulation of {run.scenario.name}"


def run_label(run: ScenarioRun) -> str:
    """A run as a column heading: its scenario's name and when it ran."""
    local = timezone.localtime(run.created_at)
    return f"{run.scenario.name} ({local:%-d %b %H:%M})"


@dataclass(frozen=True)
class Progress:
    state: str
    finished: bool
    failed: bool
    percent: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "finished": self.finished,
            "failed": self.failed,
            "percent": self.percent,
            "text": self.text,
        }


def progress(run: ScenarioRun) -> Progress:
    if run.state == RunState.QUEUED:
        text = "Waiting for the background worker to start it."
    elif run.state == RunState.FAILED:
        text = "The run failed."
    elif run.state == RunState.FINISHED:
        text = "Finished."
    elif run.started_at and timezone.now() - run.started_at > STALE_AFTER:
        text = (
            f"Running since {when_text(run.started_at)}, far longer than a run takes: the "
            "background worker may have stopped. Run the scenario again."
        )
    elif run.kind == RunKind.RECOMMENDATION:
        text = (
            "Searching: simulating the scenario with one person more or fewer in each "
            "group until the smallest staffing that meets the targets is found."
        )
    else:
        text = f"{run.replications_done} of {run.replications} replications simulated."
    return Progress(
        state=run.get_state_display(),
        finished=run.state == RunState.FINISHED,
        failed=run.state == RunState.FAILED,
        percent=run.progress,
        text=text,
    )


@dataclass(frozen=True)
class RatingRow:
    name: str
    timescale: str
    contacts: str
    within: str
    picked_up: str
    median: str
    p90: str
    breaches: str


@dataclass(frozen=True)
class StageRow:
    name: str
    staff: int
    utilisation: str
    mean_wait: str
    share_waited: str
    mean_queue: str
    max_queue: str
    staff_wait: str
    rota_wait: str
    on_call: str


@dataclass(frozen=True)
class QueueTableRow:
    day: str
    values: list[str]


@dataclass(frozen=True)
class QueueChart:
    svg: SafeString
    summary: str
    headers: list[str]
    rows: list[QueueTableRow]


@dataclass(frozen=True)
class Results:
    replications: int
    period: str
    ratings: list[RatingRow]
    stages: list[StageRow]
    bottleneck: str
    bottleneck_reason: str
    bottleneck_share: str
    chart: QueueChart


def _timescale_text(rating: Mapping[str, Any]) -> str:
    return f"{rating['timescale_hours']:g} {rating['counting']} hours"


def rating_rows(result: Mapping[str, Any]) -> list[RatingRow]:
    return [
        RatingRow(
            name=name.title(),
            timescale=_timescale_text(rating),
            contacts=number_interval(rating["contacts"]),
            within=share_interval(rating["within_timescale"]),
            picked_up=share_interval(rating["picked_up_within_timescale"]),
            median=hours_interval(rating["median_turnaround_hours"]),
            p90=hours_interval(rating["p90_turnaround_hours"]),
            breaches=number_interval(rating["breaches"]),
        )
        for name, rating in result["ratings"].items()
    ]


def stage_rows(result: Mapping[str, Any], labels: Mapping[str, str]) -> list[StageRow]:
    rows = []
    for name, stage in result["stages"].items():
        on_call = stage["on_call_utilisation"]
        rows.append(
            StageRow(
                name=group_label(labels, name),
                staff=stage["staff"],
                utilisation=share_interval(stage["utilisation"]),
                mean_wait=hours_interval(stage["mean_wait_hours"]),
                share_waited=share_interval(stage["share_waited"]),
                mean_queue=number_interval(stage["mean_queue"]),
                max_queue=number_interval(stage["max_queue"]),
                staff_wait=hours_text(stage["critical_staff_wait_hours"]["mean"]),
                rota_wait=hours_text(stage["critical_rota_wait_hours"]["mean"]),
                on_call="none" if on_call["mean"] is None else share_interval(on_call),
            )
        )
    return rows


def queue_chart(
    result: Mapping[str, Any], data: Mapping[str, Any], labels: Mapping[str, str], chart_id: str
) -> QueueChart:
    start = date.fromisoformat(data["start"])
    stages = result["stages"]
    names = list(stages)
    series = [
        Series(group_label(labels, name), stages[name]["queue_over_time"]["mean"]) for name in names
    ]
    hours = stages[names[0]]["queue_over_time"]["hours"] if names else []
    x_labels = []
    for index, hour in enumerate(hours):
        moment = start + timedelta(hours=hour)
        if hour % 24 == 0 and (hour // 24 - int(data["warm_up_days"])) % 7 == 0:
            x_labels.append((index, f"{moment.day} {moment:%b}"))
    rows: list[QueueTableRow] = []
    for first in range(0, len(hours), 24):
        day = start + timedelta(hours=hours[first])
        values = []
        for name in names:
            chunk = stages[name]["queue_over_time"]["mean"][first : first + 24]
            values.append(f"{statistics.fmean(chunk):.1f}" if chunk else "")
            values.append(f"{max(chunk):.1f}" if chunk else "")
        rows.append(QueueTableRow(day=f"{day:%a} {day.day} {day:%b}", values=values))
    busiest = (
        max(names, key=lambda name: stages[name]["mean_queue"]["mean"] or 0.0) if names else ""
    )
    summary_parts = [
        f"{group_label(labels, name)}: on average {stages[name]['mean_queue']['mean'] or 0:.1f} "
        f"waiting, at most {stages[name]['max_queue']['mean'] or 0:.0f}"
        for name in names
    ]
    summary = (
        f"Contacts waiting at each stage, on the hour, averaged over the replications. "
        f"The longest queues are at {group_label(labels, busiest)}. "
        + "; ".join(summary_parts)
        + "."
    )
    svg = line_chart(
        chart_id=chart_id,
        title="Contacts waiting at each stage over the weeks simulated",
        description=summary,
        series=series,
        x_labels=x_labels,
        y_label="Contacts waiting",
    )
    headers = [
        text
        for name in names
        for text in (f"{group_label(labels, name)} average", f"{group_label(labels, name)} most")
    ]
    return QueueChart(svg=mark_safe(svg), summary=summary, headers=headers, rows=rows)  # noqa: S308 -- built from escaped text in charts.py


def results_view(
    result: Mapping[str, Any], data: Mapping[str, Any], labels: Mapping[str, str], chart_id: str
) -> Results:
    shares = result.get("bottleneck_share", {})
    share_text = ", ".join(
        f"{group_label(labels, name)} in {share:.0%}" for name, share in shares.items() if share
    )
    return Results(
        replications=result["replications"],
        period=simulated_period_text(data),
        ratings=rating_rows(result),
        stages=stage_rows(result, labels),
        bottleneck=group_label(labels, result["bottleneck"]),
        bottleneck_reason=result["bottleneck_reason"],
        bottleneck_share=share_text,
        chart=queue_chart(result, data, labels, chart_id),
    )


def run_labels(run: ScenarioRun) -> dict[str, str]:
    return labels_of(run.scenario.calibration)


def queue_svg(run: ScenarioRun) -> str:
    """The queue chart as a standalone SVG file."""
    assert run.results is not None
    chart = queue_chart(run.results["result"], _simulated_data(run), run_labels(run), "queues")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(chart.svg)


def _simulated_data(run: ScenarioRun) -> dict[str, Any]:
    if run.kind == RunKind.RECOMMENDATION and run.results:
        staffing = run.results["recommendation"]["staffing"]
        return CapacityScenario.from_dict(run.scenario_data).with_staff(staffing).to_dict()
    return dict(run.scenario_data)


# --- recommendation --------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingRow:
    name: str
    now: int
    recommended: int
    change: str


@dataclass(frozen=True)
class TargetRow:
    rating: str
    target: str
    achieved: str
    met: bool


@dataclass(frozen=True)
class RecommendationView:
    met: bool
    staffing: list[StaffingRow]
    targets: list[TargetRow]
    explanation: list[str]
    evaluations: int
    results: Results
    # Some targets cannot be met by any staffing tried, and the staffing shown is the
    # smallest that meets the others.
    partial: bool = False


def recommendation_view(run: ScenarioRun) -> RecommendationView:
    assert run.results is not None
    labels = run_labels(run)
    recommendation = run.results["recommendation"]
    now = run.results["current_staffing"]
    rows = []
    for name, count in recommendation["staffing"].items():
        difference = count - now.get(name, 0)
        change = "no change" if difference == 0 else f"{difference:+d}"
        rows.append(StaffingRow(group_label(labels, name), now.get(name, 0), count, change))
    targets = [
        TargetRow(
            rating=target["rating"].title(),
            target=percent(target["share"]),
            achieved=percent(recommendation["achieved"].get(target["rating"])),
            met=recommendation["achieved"].get(target["rating"], 0) >= target["share"],
        )
        for target in recommendation["targets"]
    ]
    return RecommendationView(
        met=recommendation["met"],
        staffing=rows,
        targets=targets,
        explanation=list(recommendation["explanation"]),
        evaluations=recommendation["evaluations"],
        partial=not recommendation["met"]
        and 0 < len(recommendation.get("unmet", [])) < len(recommendation["targets"])
        and any(row.met for row in targets),
        results=results_view(run.results["result"], _simulated_data(run), labels, "queues"),
    )


# --- replay ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayRow:
    rating: str
    actual_contacts: str
    predicted_contacts: str
    actual_within: str
    predicted_within: str
    range_within: str
    within_inside: str
    actual_median: str
    predicted_median: str
    range_median: str
    actual_p90: str
    predicted_p90: str


def _range(values: Sequence[float | None], shown: Any) -> str:
    known = [value for value in values if value is not None]
    if not known:
        return "not known"
    if len(known) < len(values):
        return f"{shown(min(known))} to longer than the simulation ran"
    return f"{shown(min(known))} to {shown(max(known))}"


def _inside(actual: float | None, values: Sequence[float | None]) -> str:
    known = [value for value in values if value is not None]
    if actual is None or not known:
        return "not known"
    if min(known) <= actual <= max(known):
        return "Yes"
    return "No: lower" if actual < min(known) else "No: higher"


@dataclass(frozen=True)
class ReplayView:
    period: str
    rows: list[ReplayRow]
    inside: int
    compared: int
    pending: int


def replay_view(run: ScenarioRun) -> ReplayView:
    assert run.results is not None
    result = run.results["result"]
    spread = run.results.get("spread", {})
    rows = []
    inside = compared = pending = 0
    for name, actual in run.actual.items():
        predicted = result["ratings"].get(name)
        if predicted is None:
            continue
        pending += actual.get("pending", 0)
        within_values = spread.get(name, {}).get("within_timescale", [])
        median_values = spread.get(name, {}).get("median_turnaround_hours", [])
        verdict = _inside(actual["within_timescale"], within_values)
        if verdict != "not known":
            compared += 1
            inside += verdict == "Yes"
        rows.append(
            ReplayRow(
                rating=name.title(),
                actual_contacts=str(actual["contacts"]),
                predicted_contacts=number_interval(predicted["contacts"]),
                actual_within=_recorded_within(actual),
                predicted_within=share_interval(predicted["within_timescale"]),
                range_within=_range(within_values, percent),
                within_inside=verdict,
                actual_median=hours_text(actual["median_turnaround_hours"])
                if actual["median_turnaround_hours"] is not None
                else ("none" if not actual["contacts"] else "some still undecided"),
                predicted_median=hours_interval(predicted["median_turnaround_hours"]),
                range_median=_range(median_values, hours_text),
                actual_p90=hours_text(actual["p90_turnaround_hours"])
                if actual["p90_turnaround_hours"] is not None
                else ("none" if not actual["contacts"] else "some still undecided"),
                predicted_p90=hours_interval(predicted["p90_turnaround_hours"]),
            )
        )
    period = ""
    if run.period_start and run.period_end:
        period = f"{day_text(run.period_start)} to {day_text(run.period_end)}"
    return ReplayView(period=period, rows=rows, inside=inside, compared=compared, pending=pending)


# --- comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    values: list[str]


@dataclass(frozen=True)
class ComparisonSection:
    title: str
    rows: list[ComparisonRow]


@dataclass(frozen=True)
class Comparison:
    columns: list[str]
    sections: list[ComparisonSection]
    chart: SafeString
    summary: str
    ids: list[int] = field(default_factory=list)


def comparison_view(runs: Sequence[ScenarioRun]) -> Comparison:
    results = [run.results["result"] for run in runs if run.results]
    columns = [run_label(run) for run in runs]
    labels: dict[str, str] = {}
    for run in runs:
        labels.update(run_labels(run))
    ratings = list(dict.fromkeys(name for result in results for name in result["ratings"]))
    stages = list(dict.fromkeys(name for result in results for name in result["stages"]))

    def by_rating(metric: str, shown: Any) -> list[ComparisonRow]:
        return [
            ComparisonRow(
                rating.title(),
                [
                    shown(result["ratings"][rating][metric])
                    if rating in result["ratings"]
                    else "no such rating"
                    for result in results
                ],
            )
            for rating in ratings
        ]

    def by_stage(shown: Any) -> list[ComparisonRow]:
        return [
            ComparisonRow(
                group_label(labels, stage),
                [
                    shown(result["stages"][stage]) if stage in result["stages"] else "no such group"
                    for result in results
                ],
            )
            for stage in stages
        ]

    sections = [
        ComparisonSection(
            "Decided within timescale", by_rating("within_timescale", share_interval)
        ),
        ComparisonSection(
            "Median turnaround", by_rating("median_turnaround_hours", hours_interval)
        ),
        ComparisonSection(
            "90th percentile turnaround", by_rating("p90_turnaround_hours", hours_interval)
        ),
        ComparisonSection("Breaches", by_rating("breaches", number_interval)),
        ComparisonSection("Staff", by_stage(lambda stage: str(stage["staff"]))),
        ComparisonSection(
            "Utilisation", by_stage(lambda stage: share_interval(stage["utilisation"]))
        ),
        ComparisonSection(
            "Average queue", by_stage(lambda stage: number_interval(stage["mean_queue"]))
        ),
        ComparisonSection(
            "Bottleneck",
            [
                ComparisonRow(
                    "Stage", [group_label(labels, result["bottleneck"]) for result in results]
                )
            ],
        ),
    ]
    groups = [
        BarGroup(
            label=rating.title(),
            bars=[
                Bar(
                    label=column,
                    value=result["ratings"].get(rating, {}).get("within_timescale", {}).get("mean"),
                    low=result["ratings"].get(rating, {}).get("within_timescale", {}).get("low"),
                    high=result["ratings"].get(rating, {}).get("within_timescale", {}).get("high"),
                )
                for column, result in zip(columns, results, strict=True)
            ],
        )
        for rating in ratings
    ]
    summary = " ".join(
        f"{rating.title()}: "
        + ", ".join(f"{percent(bar.value)} with {bar.label}" for bar in group.bars)
        + "."
        for rating, group in zip(ratings, groups, strict=True)
    )
    summary = "Share of contacts decided within timescale, by rating. " + summary
    chart = bar_chart(
        chart_id="comparison",
        title="Share of contacts decided within timescale, by rating and scenario",
        description=summary,
        groups=groups,
        legend=columns,
    )
    return Comparison(
        columns=columns,
        sections=sections,
        chart=mark_safe(chart),  # noqa: S308 -- built from escaped text in charts.py
        summary=summary,
        ids=[run.pk for run in runs],
    )


def default_simulation_settings() -> dict[str, Any]:
    return simulation_defaults()


def lognormal_of(median_hours: float, p90_hours: float) -> dict[str, Any]:
    return LogNormal(median_hours=median_hours, p90_hours=p90_hours).to_dict()
