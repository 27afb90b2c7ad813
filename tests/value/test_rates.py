"""Which staff time and hourly cost apply to a piece of work (openmash/value/rates.py)."""

from datetime import date
from decimal import Decimal

from openmash.value.rates import AgencyRef, Figure, Rates, figure_in_force

POLICE = AgencyRef(7, "police")
OTHER_POLICE = AgencyRef(8, "police")
HEALTH = AgencyRef(9, "health")


def cost(
    value: str,
    day: date,
    *,
    agency_type: str = "",
    agency_id: int | None = None,
    order: int = 0,
) -> Figure:
    return Figure(
        key="agency_researcher",
        value=Decimal(value),
        effective_from=day,
        agency_type=agency_type,
        agency_id=agency_id,
        order=order,
    )


FIGURES = [
    cost("30", date(2024, 4, 1), order=1),
    cost("40", date(2024, 4, 1), agency_type="police", order=2),
    cost("45", date(2025, 4, 1), agency_type="police", order=3),
    cost("50", date(2025, 9, 1), agency_id=8, order=4),
]


def value(agency: AgencyRef, day: date, figures: list[Figure] = FIGURES) -> Decimal | None:
    figure = figure_in_force(figures, "agency_researcher", agency, day)
    return None if figure is None else figure.value


def test_it_takes_the_latest_figure_on_or_before_the_day() -> None:
    assert value(POLICE, date(2025, 3, 31)) == Decimal(40)
    assert value(POLICE, date(2025, 4, 1)) == Decimal(45)


def test_the_narrowest_scope_in_force_wins() -> None:
    assert value(HEALTH, date(2025, 10, 1)) == Decimal(30)  # any agency
    assert value(POLICE, date(2025, 10, 1)) == Decimal(45)  # its type
    assert value(OTHER_POLICE, date(2025, 10, 1)) == Decimal(50)  # itself


def test_a_figure_for_one_agency_does_not_reach_back_over_its_type() -> None:
    # The other police force's own figure starts on 1 September 2025: before it, the
    # police figure applies, not its own.
    assert value(OTHER_POLICE, date(2025, 8, 31)) == Decimal(45)


def test_the_later_of_two_figures_from_the_same_day_is_a_correction() -> None:
    corrected = [*FIGURES, cost("42", date(2024, 4, 1), agency_type="police", order=9)]
    assert value(POLICE, date(2024, 12, 1), corrected) == Decimal(42)


def test_work_before_every_figure_takes_the_earliest() -> None:
    assert value(POLICE, date(2020, 1, 1)) == Decimal(40)
    assert value(HEALTH, date(2020, 1, 1)) == Decimal(30)


def test_work_by_an_unknown_agency_takes_the_figure_for_any_agency() -> None:
    assert value(AgencyRef(None), date(2025, 10, 1)) == Decimal(30)
    police_only = [cost("40", date(2024, 4, 1), agency_type="police")]
    assert value(AgencyRef(None), date(2025, 10, 1), police_only) is None


def test_the_days_figures_change_number_the_segments() -> None:
    rates = Rates(times=(), costs=tuple(FIGURES))
    assert rates.change_days == [date(2024, 4, 1), date(2025, 4, 1), date(2025, 9, 1)]
    assert rates.segment_day(0) == date(2024, 3, 31)
    assert rates.segment_day(2) == date(2025, 4, 1)
    assert Rates(times=(), costs=()).segment_day(1) == date.min


def test_it_lists_the_figures_in_force_over_a_period() -> None:
    rates = Rates(times=(), costs=tuple(FIGURES))
    _, costs = rates.in_force_between(date(2025, 3, 1), date(2025, 4, 30))
    assert [figure.value for figure in costs] == [Decimal(30), Decimal(40), Decimal(45)]
