"""One period of whole days, and the one form every page types it in."""

from datetime import UTC, date, datetime

from openmash.core.forms import PeriodForm
from openmash.core.period import Period

TODAY = date(2026, 6, 15)


class LastWeekForm(PeriodForm):
    def default_period(self) -> Period:
        return Period(date(2026, 6, 8), date(2026, 6, 14))


def typed(start: str, end: str) -> dict[str, str]:
    data = {}
    for name, value in (("start", start), ("end", end)):
        parts = value.split() if value else ["", "", ""]
        for box, part in zip(("day", "month", "year"), parts, strict=True):
            data[f"{name}_{box}"] = part
    return data


def test_it_runs_from_midnight_to_midnight_in_uk_time() -> None:
    summer = Period(date(2026, 6, 1), date(2026, 6, 30))
    assert summer.starts_at == datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    assert summer.ends_at == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert summer.bounds() == (summer.starts_at, summer.ends_at)
    assert summer.days == 30


def test_it_says_itself_in_words_and_in_a_file_name() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.text() == "1 March 2026 to 31 March 2026"
    assert march.slug == "2026-03-01-to-2026-03-31"
    assert march.to_dict() == {"start": "2026-03-01", "end": "2026-03-31"}


def test_it_offers_the_default_period_before_anything_is_typed() -> None:
    form = LastWeekForm(today=TODAY)
    assert form.period() == Period(date(2026, 6, 8), date(2026, 6, 14))
    assert form.fields["start"].initial == date(2026, 6, 8)


def test_it_gives_the_typed_period() -> None:
    form = LastWeekForm(typed("1 6 2026", "10 6 2026"), today=TODAY)
    assert form.is_valid()
    assert form.period() == Period(date(2026, 6, 1), date(2026, 6, 10))


def test_it_asks_for_both_dates() -> None:
    form = LastWeekForm(typed("", ""), today=TODAY)
    assert not form.is_valid()
    assert form.errors == {"start": ["Enter the start date"], "end": ["Enter the end date"]}


def test_it_refuses_a_period_back_to_front_in_the_future_or_too_long() -> None:
    cases = [
        (typed("16 6 2026", "16 6 2026"), "start", "Start date must be today or in the past"),
        (typed("1 6 2026", "16 6 2026"), "end", "End date must be today or in the past"),
        (
            typed("10 6 2026", "1 6 2026"),
            "end",
            "End date must be the same as or after the start date",
        ),
        (typed("1 6 2025", "15 6 2026"), "end", "The period must be 366 days or shorter"),
    ]
    for data, field, message in cases:
        form = LastWeekForm(data, today=TODAY)
        assert not form.is_valid()
        assert form.errors == {field: [message]}
