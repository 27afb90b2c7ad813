"""What each chart shows, made from the indicators' figures: its categories (days, weeks,
referral sources...), one or more series of values, and a one-sentence summary worked
out from the same values. Plain data, so the dashboard, the downloads and the board
report draw the same chart from it (drawing.py, svg.py, png.py).

With `suppress`, the chart is as it may leave the hub: a count from 1 to 4, and a
median of fewer than 5 contacts, is withheld ([c]) and not drawn, with the counts that
would give it away from a published total (the same as the chart's table download
withholds: openmash/metrics/disclosure.py); the summary is worked out from what is left.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from openmash.area.models import RagLevel
from openmash.metrics.disclosure import series_shown, weeks_shown
from openmash.metrics.figures import Breakdown, DurationSeries, Series
from openmash.metrics.numbers import (
    NO_FIGURE,
    day_text,
    hours,
    one_place,
    plural,
    share,
    short_day,
    whole,
)
from openmash.metrics.suppression import SMALLEST_SHOWN, SUPPRESSED, is_small, suppress_counts

# Line colours by a RAG level's GOV.UK tag colour; each has at least 3:1 contrast with
# white (WCAG 1.4.11), and every series also has its own marker and dash pattern.
COLOURS = {
    "red": "#d4351c",
    "orange": "#b35900",
    "yellow": "#8a5a00",
    "green": "#00703c",
    "blue": "#1d70b8",
    "purple": "#4c2c92",
    "pink": "#912b88",
    "grey": "#505a5f",
}
BLUE = COLOURS["blue"]
OTHER_COLOURS = ("#1d70b8", "#4c2c92", "#912b88", "#505a5f", "#0b0c0c")
WITHHELD_NOTE = (
    f"{SUPPRESSED}: withheld, fewer than {SMALLEST_SHOWN} contacts, so that no child can "
    "be picked out."
)
# A day-by-day chart's summary compares its first and last weeks.
WEEK = 7


class ChartKind(StrEnum):
    LINE = "line"  # values over time
    BAR = "bar"  # one horizontal bar per category


@dataclass(frozen=True)
class ChartSeries:
    key: str
    label: str
    colour: str
    # One per category; None where there is nothing to draw (no contacts, or withheld).
    values: tuple[float | None, ...]
    # Each value as the table shows it: "18", "30.1", an en dash or "[c]".
    texts: tuple[str, ...]
    # How many contacts each value is of (a median's), as the table shows it, if not the
    # value itself.
    counts: tuple[str, ...] = ()
    counts_heading: str = ""


@dataclass(frozen=True)
class Chart:
    key: str
    kind: ChartKind
    title: str
    summary: str
    category_heading: str  # the first column of the chart's table, e.g. "Day"
    value_heading: str  # what the values are, e.g. "Contacts received"
    categories: tuple[str, ...]  # as the table shows them: "Mon 5 Oct 2026"
    ticks: tuple[str, ...]  # as the axis shows them: "5 Oct"
    series: tuple[ChartSeries, ...]
    suppressed: bool = False

    @property
    def note(self) -> str:
        withheld = any(SUPPRESSED in (*each.texts, *each.counts) for each in self.series)
        return WITHHELD_NOTE if withheld else ""

    @property
    def head(self) -> tuple[str, ...]:
        """The chart's table's column headings."""
        columns = [self.category_heading]
        for each in self.series:
            columns.append(each.label if len(self.series) > 1 else self.value_heading)
            if each.counts:
                columns.append(each.counts_heading)
        return tuple(columns)

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """The chart's table: a row per category, every figure as text."""
        rows = []
        for index, category in enumerate(self.categories):
            row = [category]
            for each in self.series:
                row.append(each.texts[index])
                if each.counts:
                    row.append(each.counts[index])
            rows.append(tuple(row))
        return tuple(rows)

    @property
    def description(self) -> str:
        """The summary, and the figures in words, for a chart that stands alone (a
        download has no table beside it)."""
        parts = []
        for each in self.series:
            figures = "; ".join(
                f"{category} {text}" for category, text in zip(self.ticks, each.texts, strict=True)
            )
            parts.append(f"{each.label}: {figures}.")
        return " ".join([self.summary, *parts, self.note]).strip()


def _count_texts(shown: Sequence[int | str]) -> tuple[str, ...]:
    """Counts as published (each a count or SUPPRESSED), as the table shows them."""
    return tuple(SUPPRESSED if count == SUPPRESSED else whole(int(count)) for count in shown)


def _count_values(shown: Sequence[int | str]) -> tuple[float | None, ...]:
    return tuple(None if count == SUPPRESSED else float(count) for count in shown)


def _as_published(counts: Sequence[int], suppress: bool) -> list[int | str]:
    """Counts that add up to nothing published, each withheld if small."""
    return [SUPPRESSED if suppress and is_small(count) else count for count in counts]


def _figure(value: float) -> str:
    """A figure in a sentence: whole from 10 up, else to one place."""
    return whole(round(value)) if value >= 10 else one_place(value)


def _moved(first: float, last: float) -> str:
    if _figure(first) == _figure(last):
        return "stayed at"
    return "rose from" if last > first else "fell from"


# --- Contacts over time -------------------------------------------------------------


def _per_day_summary(
    days: Sequence[date], counts: Sequence[int], shown: Sequence[int | str]
) -> str:
    """No figure that would give away a withheld day (a total or an average over it)."""
    if not counts:
        return "No days to show."
    withheld = [count == SUPPRESSED for count in shown]
    if len(counts) >= 2 * WEEK:
        if any(withheld[:WEEK]) or any(withheld[-WEEK:]):
            return "Too few contacts on some days of the first or last week to compare them."
        first, last = sum(counts[:WEEK]) / WEEK, sum(counts[-WEEK:]) / WEEK
        moved = _moved(first, last)
        if moved == "stayed at":
            return (
                f"Contacts stayed at about {_figure(first)} a day from the first week to the last."
            )
        return (
            f"Contacts {moved} {_figure(first)} a day in the first week "
            f"to {_figure(last)} in the last."
        )
    busiest = max(range(len(counts)), key=lambda index: (counts[index], -index))
    most = f"the most, {whole(counts[busiest])}, on {day_text(days[busiest])}"
    if any(withheld):
        if withheld[busiest]:
            return "Too few contacts each day to describe without giving a small count away."
        return f"Some days' counts are withheld; {most}."
    total = sum(counts)
    return (
        f"{plural(total, 'contact')} in {plural(len(counts), 'day')}, "
        f"{_figure(total / len(counts))} a day "
        f"on average; {most}."
    )


def contacts_per_day_chart(figure: Series, *, suppress: bool = False) -> Chart:
    days = [point.day for point in figure.points]
    counts = [point.count for point in figure.points]
    shown: list[int | str] = series_shown(figure) if suppress else list(counts)
    return Chart(
        key="contacts_per_day",
        kind=ChartKind.LINE,
        title="Contacts received each day",
        summary=_per_day_summary(days, counts, shown),
        category_heading="Day",
        value_heading="Contacts received",
        categories=tuple(day_text(day) for day in days),
        ticks=tuple(short_day(day) for day in days),
        series=(
            ChartSeries(
                "contacts", "Contacts received", BLUE, _count_values(shown), _count_texts(shown)
            ),
        ),
        suppressed=suppress,
    )


def _backlog_summary(days: Sequence[date], counts: Sequence[int], suppress: bool) -> str:
    if not counts:
        return "No days to show."
    when = "week" if len(days) > 1 and days[1] - days[0] > timedelta(days=1) else "day"
    first, last = counts[0], counts[-1]
    if suppress and (is_small(first) or is_small(last)):
        return "Too few open contacts to describe without a small count."
    moved = _moved(first, last)
    sentence = (
        f"The backlog {moved} {whole(first)} open contacts at the end of the first {when}"
        + ("" if moved == "stayed at" else f" to {whole(last)} at the end of the period")
    )
    peak = max(range(len(counts)), key=lambda index: (counts[index], -index))
    if counts[peak] > max(first, last):
        sentence += f", with the most, {whole(counts[peak])}, on {day_text(days[peak])}"
    return sentence + "."


def backlog_chart(figure: Series, *, suppress: bool = False) -> Chart:
    days = [point.day for point in figure.points]
    counts = [point.count for point in figure.points]
    return Chart(
        key="backlog",
        kind=ChartKind.LINE,
        title="Contacts open in the MASH",
        summary=_backlog_summary(days, counts, suppress),
        category_heading="At the end of",
        value_heading="Contacts open",
        categories=tuple(day_text(day) for day in days),
        ticks=tuple(short_day(day) for day in days),
        series=(
            ChartSeries(
                "open",
                "Contacts open",
                BLUE,
                _count_values(_as_published(counts, suppress)),
                _count_texts(_as_published(counts, suppress)),
            ),
        ),
        suppressed=suppress,
    )


# --- Turnaround week by week --------------------------------------------------------


def _turnaround_change(weeks: Sequence[date], values: Sequence[float | None]) -> str:
    """How a median moved from its first week to its last ("fell from 30.1 hours in the
    week of 7 Sep to 14.2 hours in the week of 28 Sep"); empty with no value."""
    shown = [(week, value) for week, value in zip(weeks, values, strict=True) if value is not None]
    if not shown:
        return ""
    (first_week, first), (last_week, last) = shown[0], shown[-1]
    if len(shown) == 1:
        return f"was {hours(first)} hours in the week of {short_day(first_week)}"
    if hours(first) == hours(last):
        return f"was {hours(first)} hours in the first week and the last"
    moved = "rose from" if last > first else "fell from"
    return (
        f"{moved} {hours(first)} hours in the week of {short_day(first_week)} "
        f"to {hours(last)} hours in the week of {short_day(last_week)}"
    )


def turnaround_by_week_chart(figure: DurationSeries, *, suppress: bool = False) -> Chart:
    weeks = [each.week for each in figure.weeks]
    published = weeks_shown(figure) if suppress else None
    series: list[ChartSeries] = []
    clauses: list[str] = []
    others = iter(OTHER_COLOURS)
    colours = _rag_colours()
    for key, label in figure.groups:
        rows = [each.row(key) for each in figure.weeks]
        measured = [row.measured if row else 0 for row in rows]
        if not any(measured):
            continue  # e.g. contacts never rated: nothing decided to time
        withheld = [suppress and is_small(count) for count in measured]
        values = tuple(
            None if row is None or hide else row.median_hours
            for row, hide in zip(rows, withheld, strict=True)
        )
        texts = tuple(
            SUPPRESSED if hide else hours(value) if value is not None else NO_FIGURE
            for value, hide in zip(values, withheld, strict=True)
        )
        series.append(
            ChartSeries(
                key,
                label,
                colours.get(key) or next(others, BLUE),
                values,
                texts,
                counts=_count_texts(measured if published is None else published.by_group[key]),
                counts_heading=f"{label}: decided",
            )
        )
        change = _turnaround_change(weeks, values)
        if change:
            clauses.append(f"for {label.lower()} contacts {'it ' if clauses else ''}{change}")
    if clauses:
        summary = "Median turnaround " + "; ".join(clauses) + "."
    else:
        summary = "No contact received in the period has been decided yet."
    return Chart(
        key="decision_turnaround_by_week",
        kind=ChartKind.LINE,
        title="Median hours from contact to decision, by the week received",
        summary=summary,
        category_heading="Week starting",
        value_heading="Median hours to decision",
        categories=tuple(day_text(week) for week in weeks),
        ticks=tuple(short_day(week) for week in weeks),
        series=tuple(series),
        suppressed=suppress,
    )


def _rag_colours() -> dict[str, str]:
    return {
        code: COLOURS.get(colour, BLUE)
        for code, colour in RagLevel.objects.values_list("code", "colour")
    }


# --- Breakdowns -----------------------------------------------------------------------


def _breakdown_summary(figure: Breakdown, shown: Mapping[str, int | str], lead: str) -> str:
    ranked = sorted(
        (row for row in figure.rows if shown[row.key] != SUPPRESSED and row.count),
        key=lambda row: -row.count,
    )
    if not ranked:
        return "Nothing to show."
    total = figure.total

    def part(index: int) -> str:
        row = ranked[index]
        return f"{row.label}: {share(row.count, total)}"

    sentence = f"{lead} {part(0)}"
    if len(ranked) > 1:
        sentence += f", then {part(1)}"
    return sentence + "."


def breakdown_chart(
    key: str, title: str, figure: Breakdown, *, lead: str, suppress: bool = False
) -> Chart:
    """One bar per row of the breakdown, in its order; the summary names the two largest
    after `lead` ("Most contacts came from")."""
    counts = {row.key: row.count for row in figure.rows}
    shown: Mapping[str, int | str] = suppress_counts(counts)[0] if suppress else counts
    values = tuple(
        None if shown[row.key] == SUPPRESSED else float(row.count) for row in figure.rows
    )
    texts = tuple(
        SUPPRESSED if shown[row.key] == SUPPRESSED else whole(row.count) for row in figure.rows
    )
    labels = tuple(row.label for row in figure.rows)
    return Chart(
        key=key,
        kind=ChartKind.BAR,
        title=title,
        summary=_breakdown_summary(figure, shown, lead),
        category_heading=figure.dimension,
        value_heading="Contacts",
        categories=labels,
        ticks=labels,
        series=(ChartSeries(key, "Contacts", BLUE, values, texts),),
        suppressed=suppress,
    )


def contacts_by_source_chart(figure: Breakdown, *, suppress: bool = False) -> Chart:
    return breakdown_chart(
        "contacts_by_source",
        "Contacts by referral source",
        figure,
        lead="Most contacts came from",
        suppress=suppress,
    )


def outcomes_chart(figure: Breakdown, *, suppress: bool = False) -> Chart:
    return breakdown_chart(
        "outcome_shares",
        "Children decided, by outcome",
        figure,
        lead="The most common outcome was",
        suppress=suppress,
    )


# The indicators drawn as charts, and how.
CHARTS: dict[str, Callable[..., Chart]] = {
    "contacts_per_day": contacts_per_day_chart,
    "backlog": backlog_chart,
    "decision_turnaround_by_week": turnaround_by_week_chart,
    "contacts_by_source": contacts_by_source_chart,
    "outcome_shares": outcomes_chart,
}


def chart_for(key: str, figure: Any, *, suppress: bool = False) -> Chart:
    """The chart of one indicator's figures (KeyError for an indicator not charted)."""
    return CHARTS[key](figure, suppress=suppress)


def charts_for(figures: Mapping[str, Any], *, suppress: bool = False) -> dict[str, Chart]:
    """The chart of every charted indicator among `figures` (indicators_compute's)."""
    return {
        key: build(figures[key], suppress=suppress)
        for key, build in CHARTS.items()
        if key in figures
    }
