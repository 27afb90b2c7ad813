"""SQL the indicators need that Django's ORM does not write the same way on SQLite and
PostgreSQL: hours between two moments, and medians and 90th percentiles.

Percentiles are worked out in the database on both. PostgreSQL has percentile_cont.
SQLite has no percentile function, so the same figure (linear interpolation between
the two nearest ranks, as percentile_cont does) comes from window functions: each value's
rank (row_number) and the group's size (count), then the weighted sum of the one or two
values either side of the percentile's position. Both methods run on PostgreSQL, and
tests/metrics/test_aggregates.py checks they agree.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    Case,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Collate
from django.db.models.sql.compiler import SQLCompiler

from openmash.area.calendar import LONDON

PERCENTILE_CONT = "percentile_cont"
WINDOW = "window"
# (numerator, denominator) of the percentiles worked out: the median and the 90th. As
# whole-number fractions so the window method's ranks are integer arithmetic, which
# SQLite and PostgreSQL do alike.
MEDIAN = (1, 2)
NINETIETH = (9, 10)


class HoursBetween(Func):
    """Clock hours from `start` to `end` (negative if end is earlier), as a float."""

    arity = 2
    output_field = FloatField()

    def _parts(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, str, list[Any]]:
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        return start[0], end[0], [*end[1], *start[1]]

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        start, end, params = self._parts(compiler, connection)
        return f"((julianday({end}) - julianday({start})) * 24.0)", params

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        start, end, params = self._parts(compiler, connection)
        # date_part works in double precision; EXTRACT (numeric since PostgreSQL 14) took
        # half of a year's turnaround query on five years (about 0.5 microseconds a row).
        return f"(date_part('epoch', {end} - {start}) / 3600.0)", params


def in_binary_order(expression: Expression) -> Expression:
    """The text compared character by character (capitals before small letters), as
    SQLite does by default; PostgreSQL otherwise follows the database's locale."""
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


@dataclass(frozen=True)
class Percentiles:
    """How many values, their median and 90th percentile (None with no values)."""

    count: int
    median: float | None
    p90: float | None


NO_VALUES = Percentiles(0, None, None)


def _interpolated(fraction: tuple[int, int]) -> str:
    """The percentile from ranked rows (rn: rank from 1, n: the group's size, h: value):
    position 1 + f(n - 1), split into a whole rank and a remainder of r/b."""
    a, b = fraction
    whole = f"({a} * (n - 1) / {b})"
    remainder = f"({a} * (n - 1) - {whole} * {b})"
    return (
        f"SUM(CASE WHEN rn = 1 + {whole} THEN h * ({b} - {remainder}) * 1.0 / {b} "
        f"WHEN rn = 2 + {whole} THEN h * {remainder} * 1.0 / {b} ELSE 0 END)"
    )


def _percentile_cont(fraction: tuple[int, int], column: str = "h") -> str:
    """PostgreSQL's percentile of the values in `column` (linear interpolation)."""
    a, b = fraction
    return f"PERCENTILE_CONT({a}.0 / {b}) WITHIN GROUP (ORDER BY {column})"


def _columns(groups: int) -> tuple[str, str]:
    """The inner query's group columns (g0, g1...) and as many NULLs, for the overall row."""
    names = ", ".join(f"g{index}" for index in range(groups))
    return names, ", ".join("NULL" for _ in range(groups))


def _window_sql(inner: str, groups: int) -> str:
    median, p90 = _interpolated(MEDIAN), _interpolated(NINETIETH)
    g, nulls = _columns(groups)
    # The inner query is Django's own SQL with its parameters kept apart; everything
    # else is constant text.
    return (
        f"WITH v({g}, h) AS ({inner}), "  # noqa: S608
        f"ranked AS (SELECT {g}, h, ROW_NUMBER() OVER (PARTITION BY {g} ORDER BY h) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {g}) AS n FROM v WHERE h IS NOT NULL), "
        "ranked_all AS (SELECT h, ROW_NUMBER() OVER (ORDER BY h) AS rn, "
        "COUNT(*) OVER () AS n FROM v WHERE h IS NOT NULL) "
        f"SELECT 0, {g}, n, {median}, {p90} FROM ranked GROUP BY {g}, n "
        f"UNION ALL SELECT 1, {nulls}, n, {median}, {p90} FROM ranked_all GROUP BY n"
    )


def _percentile_cont_sql(inner: str, groups: int) -> str:
    g, nulls = _columns(groups)
    figures = f"COUNT(*), {_percentile_cont(MEDIAN)}, {_percentile_cont(NINETIETH)}"
    return (
        f"WITH v({g}, h) AS ({inner}) "  # noqa: S608
        f"SELECT 0, {g}, {figures} FROM v WHERE h IS NOT NULL GROUP BY {g} "
        f"UNION ALL SELECT 1, {nulls}, {figures} FROM v WHERE h IS NOT NULL"
    )


def percentiles_by_group(
    values: QuerySet[Any, Any], *, method: str = "", groups: int = 1
) -> tuple[Percentiles, dict[Any, Percentiles]]:
    """The median and 90th percentile of every value, and of each group's: `values` is a
    values_list queryset of (group, value) rows (a null value is left out). One query.

    With `groups` above 1, each row is that many group columns then the value, and each
    group's key is the tuple of its columns (e.g. (week, RAG level)).

    `method` is percentile_cont (PostgreSQL only) or window (both); by default
    percentile_cont on PostgreSQL and window elsewhere."""
    connection = connections[values.db]
    method = method or (PERCENTILE_CONT if connection.vendor == "postgresql" else WINDOW)
    try:
        inner, params = values.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing, e.g. pk__in=[]
        return NO_VALUES, {}
    if method == PERCENTILE_CONT:
        sql = _percentile_cont_sql(inner, groups)
    else:
        sql = _window_sql(inner, groups)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: Sequence[tuple[Any, ...]] = cursor.fetchall()
    overall = NO_VALUES
    by_group: dict[Any, Percentiles] = {}
    for row in rows:
        is_overall, key = row[0], row[1 : 1 + groups]
        count, median, p90 = row[1 + groups :]
        figures = Percentiles(int(count), float(median), float(p90)) if count else NO_VALUES
        if is_overall:
            overall = figures
        else:
            by_group[key[0] if groups == 1 else tuple(key)] = figures
    return overall, by_group


@dataclass(frozen=True)
class GroupFigures:
    """Of one group of items (or all of them): how many, how many met each condition
    counted, and the median and 90th percentile of their values."""

    items: int
    counts: dict[str, int]
    percentiles: Percentiles


@dataclass(frozen=True)
class GroupMeasures:
    """As GroupFigures, for several values measured of the same items: the median and
    90th percentile of each, by the value's name."""

    items: int
    counts: dict[str, int]
    percentiles: dict[str, Percentiles]


def _counted_sql(inner: str, values: int, counted: Sequence[str], method: str) -> str:
    """One pass over the inner query's rows (g0, then each value h0, h1..., then a 0 or 1
    for each counted condition): for each group and for all, for each value how many rows
    have it and its percentiles, then how many rows and the sum of each condition's
    column (rows with no value are counted, never measured). Several values only with
    percentile_cont. The inner query is Django's own SQL with its parameters kept apart;
    everything else is constant text."""
    measured = [f"h{index}" for index in range(values)]
    columns = ", ".join([*measured, *(f"c{index}" for index in range(len(counted)))])
    sums = "".join(f", SUM(c{index})" for index in range(len(counted)))
    with_rows = f"WITH v(g0, {columns}) AS ({inner})"
    if method == PERCENTILE_CONT:
        figures = ", ".join(
            f"COUNT({h}), {_percentile_cont(MEDIAN, h)}, {_percentile_cont(NINETIETH, h)}"
            for h in measured
        )
        # One pass, each group and all together (GROUPING is 1 on the row of all): the
        # rows read and sorted once, not once for the groups and again for all of them.
        return (
            f"{with_rows} SELECT GROUPING(g0), g0, {figures}, COUNT(*){sums} "  # noqa: S608
            "FROM v GROUP BY ROLLUP (g0)"
        )
    if values != 1:
        raise ValueError("The window method measures one value a query.")
    median, p90 = _interpolated(MEDIAN), _interpolated(NINETIETH)
    kept = "".join(f", c{index}" for index in range(len(counted)))
    # Rows with a value first, in order, so the ranks 1 to n are the values' ranks.
    return (
        f"{with_rows}, "  # noqa: S608
        f"ranked AS (SELECT g0, h0 AS h{kept}, "
        "ROW_NUMBER() OVER (PARTITION BY g0 ORDER BY h0 IS NULL, h0) AS rn, "
        "COUNT(h0) OVER (PARTITION BY g0) AS n FROM v), "
        f"ranked_all AS (SELECT h0 AS h{kept}, ROW_NUMBER() OVER (ORDER BY h0 IS NULL, h0) "
        "AS rn, COUNT(h0) OVER () AS n FROM v) "
        f"SELECT 0, g0, n, {median}, {p90}, COUNT(*){sums} FROM ranked GROUP BY g0, n "
        f"UNION ALL SELECT 1, NULL, n, {median}, {p90}, COUNT(*){sums} FROM ranked_all "
        "GROUP BY n"
    )


def measured_by_group(
    items: QuerySet[Any],
    *,
    group: str,
    values: dict[str, Expression],
    counted: dict[str, Any],
    method: str = "",
) -> tuple[GroupMeasures, dict[Any, GroupMeasures]]:
    """For all the items and for each value of `group`: how many there are, how many
    meet each of the `counted` conditions (Q objects, by name), and the median and 90th
    percentile of each of the `values` (expressions, by name: null for an item not to be
    measured). On PostgreSQL one query, one pass over the items, however many values:
    several timings of the same contacts read them once. The window method (SQLite)
    takes a query a value. `method` as percentiles_by_group."""
    connection = connections[items.db]
    method = method or (PERCENTILE_CONT if connection.vendor == "postgresql" else WINDOW)
    if method == WINDOW and len(values) > 1:
        return _measured_one_by_one(items, group=group, values=values, counted=counted)
    value_names, names = list(values), list(counted)
    measures = {f"m_value_{index}": values[name] for index, name in enumerate(value_names)}
    flags = {
        f"m_counted_{index}": Case(
            When(counted[name], then=1), default=0, output_field=IntegerField()
        )
        for index, name in enumerate(names)
    }
    rows_of = items.annotate(**measures, **flags).values_list(group, *measures, *flags)
    empty = GroupMeasures(0, dict.fromkeys(names, 0), dict.fromkeys(value_names, NO_VALUES))
    try:
        inner, params = rows_of.order_by().query.sql_with_params()
    except EmptyResultSet:
        return empty, {}
    with connection.cursor() as cursor:
        cursor.execute(_counted_sql(inner, len(value_names), names, method), params)
        rows: Sequence[tuple[Any, ...]] = cursor.fetchall()
    overall = empty
    by_group: dict[Any, GroupMeasures] = {}
    for is_overall, key, *figures in rows:
        measured = figures[: 3 * len(value_names)]
        items_count, *sums = figures[3 * len(value_names) :]
        percentiles = {}
        for index, name in enumerate(value_names):
            count, median, p90 = measured[3 * index : 3 * index + 3]
            percentiles[name] = (
                Percentiles(int(count), float(median), float(p90)) if count else NO_VALUES
            )
        found = GroupMeasures(
            int(items_count),
            {name: int(total or 0) for name, total in zip(names, sums, strict=True)},
            percentiles,
        )
        if is_overall:
            overall = found
        else:
            by_group[key] = found
    return overall, by_group


def _measured_one_by_one(
    items: QuerySet[Any],
    *,
    group: str,
    values: dict[str, Expression],
    counted: dict[str, Any],
) -> tuple[GroupMeasures, dict[Any, GroupMeasures]]:
    """measured_by_group a value at a time (the window method), the counts with the
    first."""
    results = [
        measured_by_group(
            items,
            group=group,
            values={name: value},
            counted=counted if index == 0 else {},
            method=WINDOW,
        )
        for index, (name, value) in enumerate(values.items())
    ]

    def merged(parts: list[GroupMeasures | None]) -> GroupMeasures:
        """The first query's counts and each query's percentiles (none for a group a
        later query did not find: its items were changed between the queries)."""
        first = parts[0]
        assert first is not None
        percentiles = dict.fromkeys(values, NO_VALUES)
        for part in parts:
            if part is not None:
                percentiles.update(part.percentiles)
        return GroupMeasures(first.items, first.counts, percentiles)

    overall = merged([result[0] for result in results])
    return overall, {
        key: merged([result[1].get(key) for result in results]) for key in results[0][1]
    }


def counted_by_group(
    items: QuerySet[Any],
    *,
    group: str,
    value: Expression,
    counted: dict[str, Any],
    method: str = "",
) -> tuple[GroupFigures, dict[Any, GroupFigures]]:
    """For all the items and for each value of `group`: how many there are, how many
    meet each of the `counted` conditions (Q objects, by name), and the median and 90th
    percentile of `value` (an expression: null for an item not to be measured). One
    query, one pass over the items, where counting and measuring apart took two.
    `method` as percentiles_by_group."""
    overall, groups = measured_by_group(
        items, group=group, values={"value": value}, counted=counted, method=method
    )

    def figures(measures: GroupMeasures) -> GroupFigures:
        return GroupFigures(measures.items, measures.counts, measures.percentiles["value"])

    return figures(overall), {key: figures(found) for key, found in groups.items()}


def _within_groups_sql(inner: str, method: str) -> str:
    """One pass over the inner query's rows (g0, g1, h): for each (g0, g1) and each g0,
    how many rows, how many with a value, and the percentiles of the values. The inner
    query is Django's own SQL with its parameters kept apart; everything else is constant
    text."""
    with_rows = f"WITH v(g0, g1, h) AS ({inner})"
    if method == PERCENTILE_CONT:
        return (
            f"{with_rows} SELECT GROUPING(g1), g0, g1, COUNT(*), COUNT(h), "  # noqa: S608
            f"{_percentile_cont(MEDIAN)}, {_percentile_cont(NINETIETH)} "
            "FROM v GROUP BY GROUPING SETS ((g0, g1), (g0))"
        )
    median, p90 = _interpolated(MEDIAN), _interpolated(NINETIETH)
    # Rows with a value first, in order, so the ranks 1 to n are the values' ranks.
    return (
        f"{with_rows}, "  # noqa: S608
        "ranked AS (SELECT g0, g1, h, "
        "ROW_NUMBER() OVER (PARTITION BY g0, g1 ORDER BY h IS NULL, h) AS rn, "
        "COUNT(h) OVER (PARTITION BY g0, g1) AS n FROM v), "
        "ranked_outer AS (SELECT g0, h, ROW_NUMBER() OVER (PARTITION BY g0 ORDER BY h IS NULL, h) "
        "AS rn, COUNT(h) OVER (PARTITION BY g0) AS n FROM v) "
        f"SELECT 0, g0, g1, COUNT(*), n, {median}, {p90} FROM ranked GROUP BY g0, g1, n "
        f"UNION ALL SELECT 1, g0, NULL, COUNT(*), n, {median}, {p90} FROM ranked_outer "
        "GROUP BY g0, n"
    )


@dataclass(frozen=True)
class Within:
    """Of groups within groups (e.g. RAG levels within weeks), by (outer, inner) key and
    by outer key alone: how many items and the percentiles of those with a value."""

    inner: dict[tuple[Any, Any], tuple[int, Percentiles]]
    outer: dict[Any, tuple[int, Percentiles]]


def counted_within_groups(rows: QuerySet[Any, Any], *, method: str = "") -> Within:
    """`rows` is a values_list queryset of (outer group, inner group, value) rows (a null
    value is counted, never measured): for each pair of groups and each outer group, how
    many rows and the median and 90th percentile of their values. One query, where
    counting and measuring each grouping apart took three. `method` as
    percentiles_by_group."""
    connection = connections[rows.db]
    method = method or (PERCENTILE_CONT if connection.vendor == "postgresql" else WINDOW)
    try:
        inner, params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        return Within({}, {})
    with connection.cursor() as cursor:
        cursor.execute(_within_groups_sql(inner, method), params)
        found: Sequence[tuple[Any, ...]] = cursor.fetchall()
    within = Within({}, {})
    for is_outer, outer, inner_key, items, measured, median, p90 in found:
        figures = Percentiles(int(measured), float(median), float(p90)) if measured else NO_VALUES
        if is_outer:
            within.outer[outer] = (int(items), figures)
        else:
            within.inner[(outer, inner_key)] = (int(items), figures)
    return within


class MomentsBefore(Func):
    """How many of the (ascending) moments are at or before `field`: the index of the
    first moment the field came before; all of them if none (or the field is empty).
    PostgreSQL's width_bucket takes the moments as one array parameter; elsewhere a CASE
    with a branch per moment (a year's weekly points compiled 53 branches, twice, in
    about a tenth of a second of Python per request)."""

    output_field = IntegerField()

    def __init__(self, field: str, moments: Sequence[datetime]) -> None:
        self.field_name, self.moments = field, list(moments)
        super().__init__(F(field))

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        field, params = compiler.compile(self.get_source_expressions()[0])
        return (
            f"COALESCE(width_bucket({field}, %s::timestamptz[]), {len(self.moments)})",
            [*params, self.moments],
        )

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        case = Case(
            *(
                When(**{f"{self.field_name}__lt": moment}, then=Value(index))
                for index, moment in enumerate(self.moments)
            ),
            default=Value(len(self.moments)),
            output_field=IntegerField(),
        )
        resolved = case.resolve_expression(compiler.query, allow_joins=False)
        sql, params = compiler.compile(resolved)
        return sql, list(params)


class EpochSeconds(Func):
    """Seconds since 1970-01-01 UTC of a moment, in double precision (PostgreSQL only):
    the microseconds divided once, as Python's datetime.timestamp() divides them."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        field, params = compiler.compile(self.get_source_expressions()[0])
        return f"date_part('epoch', {field})", list(params)


class LocalHourNumber(Func):
    """PostgreSQL: the whole hours from 1970-01-01 00:00 to a moment's time in the UK
    (its wall-clock time, so both 01:00s of the night the clocks go back are one hour)."""

    output_field = BigIntegerField()
    arity = 1

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        field, params = compiler.compile(self.get_source_expressions()[0])
        return (
            f"FLOOR(date_part('epoch', {field} AT TIME ZONE %s) / 3600)::bigint",
            [*params, str(LONDON)],
        )
