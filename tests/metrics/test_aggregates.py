"""Medians and 90th percentiles in the database: window functions (SQLite and
PostgreSQL) and percentile_cont (PostgreSQL) give the same figures as interpolating by
hand, and hours are elapsed time across a change of the clocks."""

import statistics
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast

from openmash.area.calendar import LONDON
from openmash.area.models import RagLevel
from openmash.contacts.models import Contact
from openmash.metrics.aggregates import (
    PERCENTILE_CONT,
    WINDOW,
    GroupFigures,
    HoursBetween,
    Percentiles,
    counted_by_group,
    counted_within_groups,
    measured_by_group,
    percentiles_by_group,
)
from tests.metrics.conftest import Hub, at

pytestmark = pytest.mark.django_db

GROUPS = {
    "one": [7.0],
    "two": [1.0, 4.0],
    "odd": [3.0, 1.0, 2.0, 10.0, 5.5],
    "ties": [2.0, 2.0, 2.0, 9.0, 9.0, 0.25, 100.0, 2.0, 2.0, 2.0, 2.0],
}


def _by_hand(values: list[float]) -> Percentiles:
    """percentile_cont: linear interpolation between the nearest ranks."""
    if len(values) == 1:
        return Percentiles(1, values[0], values[0])
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return Percentiles(len(values), statistics.median(values), p90)


def _tuple(figures: Percentiles) -> tuple[int, float | None, float | None]:
    return (figures.count, figures.median, figures.p90)


def _values() -> object:
    RagLevel.objects.all().delete()
    order = 0
    for group, hours in GROUPS.items():
        for value in hours:
            order += 1
            RagLevel.objects.create(
                code=f"{group}-{order}",
                label=group,
                order=order,
                decision_hours=Decimal(str(value)),
                check_hours=Decimal(1),
            )
    return RagLevel.objects.values_list("label", Cast("decision_hours", FloatField()))


def _methods() -> list[str]:
    return [WINDOW, PERCENTILE_CONT] if connection.vendor == "postgresql" else [WINDOW]


@pytest.mark.parametrize("method", [WINDOW, PERCENTILE_CONT])
def test_it_works_out_percentiles_as_percentile_cont_does(method: str) -> None:
    if method not in _methods():
        pytest.skip("percentile_cont is PostgreSQL's")
    overall, groups = percentiles_by_group(_values(), method=method)  # type: ignore[arg-type]
    every = [value for values in GROUPS.values() for value in values]
    assert _tuple(overall) == pytest.approx(_tuple(_by_hand(every)))
    assert set(groups) == set(GROUPS)
    for group, values in GROUPS.items():
        found, expected = groups[group], _by_hand(values)
        assert found.count == expected.count, group
        assert found.median == pytest.approx(expected.median), group
        assert found.p90 == pytest.approx(expected.p90), group


def test_both_methods_agree_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Only PostgreSQL has both")
    values = _values()
    window_overall, window_groups = percentiles_by_group(values, method=WINDOW)  # type: ignore[arg-type]
    cont_overall, cont_groups = percentiles_by_group(values, method=PERCENTILE_CONT)  # type: ignore[arg-type]
    assert _tuple(window_overall) == pytest.approx(_tuple(cont_overall))
    assert set(window_groups) == set(cont_groups)
    for group, figures in window_groups.items():
        assert _tuple(figures) == pytest.approx(_tuple(cont_groups[group])), group


def test_it_gives_no_figures_for_no_values() -> None:
    overall, groups = percentiles_by_group(RagLevel.objects.none().values_list("label", Value(1.0)))
    assert (overall, groups) == (Percentiles(0, None, None), {})


def test_it_leaves_out_null_values(hub: Hub) -> None:
    hub.receive("open", at(5, 9), "2A")
    closed = hub.receive("closed", at(5, 9), "2A")
    Contact.objects.filter(pk=closed.pk).update(closed_at=at(5, 12))
    values = Contact.objects.values_list("channel", HoursBetween("received_at", "closed_at"))
    overall, groups = percentiles_by_group(values)
    assert _tuple(overall) == pytest.approx((1, 3.0, 3.0))
    assert list(groups) == ["phone"]


def test_it_counts_elapsed_hours_across_the_clocks_going_back(hub: Hub) -> None:
    # Clocks go back at 02:00 BST on Sunday 25 October 2026: 10:00 Saturday to 09:00
    # Sunday is 24 hours, and to 10:00 Sunday is 25.
    contact = hub.receive("A", at(24, 10), "2A")
    Contact.objects.filter(pk=contact.pk).update(closed_at=datetime(2026, 10, 25, 9, tzinfo=LONDON))
    hours = Contact.objects.annotate(
        elapsed=HoursBetween("received_at", "closed_at"),
        back=HoursBetween("closed_at", F("received_at")),
    ).values_list("elapsed", "back")
    assert list(hours) == [(pytest.approx(24.0), pytest.approx(-24.0))]


def test_it_works_out_percentiles_by_two_groups() -> None:
    _values()
    values = RagLevel.objects.annotate(m_even=F("order") % 2).values_list(
        "label", "m_even", Cast("decision_hours", FloatField())
    )
    for method in _methods():
        overall, groups = percentiles_by_group(values, method=method, groups=2)  # type: ignore[arg-type]
        assert overall.count == sum(len(hours) for hours in GROUPS.values())
        assert groups[("two", 0)] == Percentiles(1, 1.0, 1.0)  # order 2
        assert groups[("two", 1)] == Percentiles(1, 4.0, 4.0)  # order 3
        odd = [value for index, value in enumerate(GROUPS["odd"]) if (index + 4) % 2 == 0]
        assert _tuple(groups[("odd", 0)]) == pytest.approx(_tuple(_by_hand(odd)))


@pytest.mark.parametrize("method", [WINDOW, PERCENTILE_CONT])
def test_it_counts_and_measures_each_group_in_one_query(
    method: str, django_assert_num_queries: Any
) -> None:
    if method not in _methods():
        pytest.skip("percentile_cont is PostgreSQL's")
    _values()
    for level in RagLevel.objects.order_by("order")[::2]:
        RagLevel.objects.filter(pk=level.pk).update(check_hours=Decimal(2))
    rows = list(RagLevel.objects.values_list("label", "check_hours", "decision_hours"))
    with django_assert_num_queries(1):
        overall, groups = counted_by_group(
            RagLevel.objects.all(),
            group="label",
            value=Case(When(Q(check_hours=1), then=Cast("decision_hours", FloatField()))),
            counted={"measured": Q(check_hours=1), "long": Q(decision_hours__gt=3)},
            method=method,
        )

    def expected(of: list[tuple[str, Decimal, Decimal]]) -> GroupFigures:
        measured = [float(hours) for _, check, hours in of if check == 1]
        return GroupFigures(
            len(of),
            {"measured": len(measured), "long": sum(1 for *_, hours in of if hours > 3)},
            _by_hand(measured) if measured else Percentiles(0, None, None),
        )

    def same(found: GroupFigures, wanted: GroupFigures) -> None:
        assert (found.items, found.counts) == (wanted.items, wanted.counts)
        assert _tuple(found.percentiles) == pytest.approx(_tuple(wanted.percentiles))

    same(overall, expected(rows))
    assert set(groups) == set(GROUPS)
    for group in GROUPS:
        same(groups[group], expected([row for row in rows if row[0] == group]))
    # "one" has a single level, not measured (every other level is): counted, with no
    # percentiles.
    assert groups["one"].items == 1
    assert groups["one"].percentiles == Percentiles(0, None, None)


def test_counting_nothing_gives_zeros_and_no_groups() -> None:
    for method in _methods():
        overall, groups = counted_by_group(
            RagLevel.objects.none(),
            group="label",
            value=Value(1.0),
            counted={"measured": Q(pk__isnull=False)},
            method=method,
        )
        assert overall == GroupFigures(0, {"measured": 0}, Percentiles(0, None, None))
        assert groups == {}
        overall, groups = counted_by_group(
            RagLevel.objects.filter(code="no such level"),
            group="label",
            value=Value(1.0),
            counted={"measured": Q(pk__isnull=False)},
            method=method,
        )
        assert overall.items == 0
        assert overall.counts == {"measured": 0}
        assert groups == {}


@pytest.mark.parametrize("method", [WINDOW, PERCENTILE_CONT])
def test_it_counts_and_measures_groups_within_groups_in_one_query(
    method: str, django_assert_num_queries: Any
) -> None:
    if method not in _methods():
        pytest.skip("percentile_cont is PostgreSQL's")
    _values()
    # Inner groups: odd orders, even orders, and (order 1 and 4) none at all; the levels
    # with check hours 2 are counted but not measured.
    for level in RagLevel.objects.order_by("order")[::3]:
        RagLevel.objects.filter(pk=level.pk).update(check_hours=Decimal(2))
    inner = Case(
        When(order__in=(1, 4), then=Value(None)),
        default=F("order") % 2,
    )
    rows = list(
        RagLevel.objects.annotate(m_inner=inner).values_list(
            "label", "m_inner", "check_hours", "decision_hours"
        )
    )
    value = Case(When(Q(check_hours=1), then=Cast("decision_hours", FloatField())))
    with django_assert_num_queries(1):
        within = counted_within_groups(
            RagLevel.objects.annotate(m_inner=inner).values_list("label", "m_inner", value),
            method=method,
        )

    def expected(of: list[tuple[str, Any, Decimal, Decimal]]) -> tuple[int, Percentiles]:
        measured = [float(hours) for _, _, check, hours in of if check == 1]
        return len(of), _by_hand(measured) if measured else Percentiles(0, None, None)

    def same(found: tuple[int, Percentiles], wanted: tuple[int, Percentiles]) -> None:
        assert found[0] == wanted[0]
        assert _tuple(found[1]) == pytest.approx(_tuple(wanted[1]))

    pairs = {(label, key) for label, key, *_ in rows}
    assert set(within.inner) == pairs
    assert (None in {key for _, key in pairs}) is True
    for outer, key in pairs:
        same(within.inner[(outer, key)], expected([r for r in rows if r[:2] == (outer, key)]))
    assert set(within.outer) == set(GROUPS)
    for group in GROUPS:
        same(within.outer[group], expected([r for r in rows if r[0] == group]))


def test_groups_within_groups_of_nothing_are_empty() -> None:
    for method in _methods():
        within = counted_within_groups(
            RagLevel.objects.none().values_list("label", "code", Value(1.0)), method=method
        )
        assert (within.inner, within.outer) == ({}, {})


@pytest.mark.parametrize("method", [WINDOW, PERCENTILE_CONT])
def test_several_values_of_the_same_items_are_measured_as_one_at_a_time(
    method: str, django_assert_num_queries: Any
) -> None:
    """measured_by_group with two values gives each value's figures as counted_by_group
    gives them alone, and the counts once: in one query with percentile_cont, a query a
    value with the window method."""
    if method not in _methods():
        pytest.skip("percentile_cont is PostgreSQL's")
    _values()
    for level in RagLevel.objects.order_by("order")[::3]:
        RagLevel.objects.filter(pk=level.pk).update(check_hours=Decimal(2))
    items = RagLevel.objects.all()
    values = {
        "decision": Cast("decision_hours", FloatField()),
        "checked": Case(When(Q(check_hours=1), then=Cast("decision_hours", FloatField()) * 2)),
    }
    counted = {"long": Q(decision_hours__gt=3)}
    with django_assert_num_queries(1 if method == PERCENTILE_CONT else 2):
        overall, groups = measured_by_group(
            items, group="label", values=values, counted=counted, method=method
        )

    for name, value in values.items():
        alone, alone_groups = counted_by_group(
            items, group="label", value=value, counted=counted, method=method
        )
        assert _tuple(overall.percentiles[name]) == pytest.approx(_tuple(alone.percentiles))
        assert (overall.items, overall.counts) == (alone.items, alone.counts)
        assert set(groups) == set(alone_groups) == set(GROUPS)
        for group, figures in alone_groups.items():
            found = groups[group]
            assert _tuple(found.percentiles[name]) == pytest.approx(_tuple(figures.percentiles))
            assert (found.items, found.counts) == (figures.items, figures.counts)
    # Not every level is checked: the second value's figures differ from the first's.
    assert overall.percentiles["checked"] != overall.percentiles["decision"]
