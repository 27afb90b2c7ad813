"""The indicators computed over several PostgreSQL connections side by side (ADR 0034):
the same figures as on one connection, every helper's connection closed, an error
raised as it would be on one, and a figure several indicators share worked out once."""

import threading
import time
from typing import Any

import pytest
from django.db import connection

from openmash.core import side_by_side as side_by_side_module
from openmash.core.side_by_side import connections_for, side_by_side
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import (
    INDICATORS,
    Group,
    Indicator,
    Unit,
    _WorkedOut,
    indicators_compute,
)
from tests.factories import Hub

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite computes them on one connection"
)


def _connections_open() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def _settles_at(expected: int) -> int:
    # A server process leaves pg_stat_activity a moment after its client disconnects.
    deadline = time.monotonic() + 5
    while (now := _connections_open()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return now


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_side_by_side_gives_the_figures_one_connection_gives(
    week: Hub, the_week: MetricFilter, settings: Any
) -> None:
    settings.OPENMASH_METRICS_CONNECTIONS = 1
    one_by_one = indicators_compute(the_week)
    settings.OPENMASH_METRICS_CONNECTIONS = 3
    open_before = _connections_open()

    side_by_side = indicators_compute(the_week)

    assert connections_for(len(INDICATORS)) == 3
    assert side_by_side == one_by_one
    assert list(side_by_side) == list(INDICATORS)
    assert _settles_at(open_before) == open_before


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_indicator_that_fails_fails_the_page_and_leaves_no_connection_open(
    week: Hub, the_week: MetricFilter, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(f: MetricFilter) -> None:
        raise ZeroDivisionError("broken indicator")

    monkeypatch.setitem(
        INDICATORS,
        "broken",
        Indicator("broken", "Broken", "Fails.", Unit.CONTACTS, Group.VOLUME, broken),
    )
    settings.OPENMASH_METRICS_CONNECTIONS = 2
    open_before = _connections_open()

    with pytest.raises(ZeroDivisionError, match="broken indicator"):
        indicators_compute(the_week)

    assert _settles_at(open_before) == open_before


@pytest.mark.django_db
def test_inside_a_transaction_they_are_computed_on_its_own_connection(settings: Any) -> None:
    # Another connection would not see what the transaction has not committed.
    settings.OPENMASH_METRICS_CONNECTIONS = 3

    assert connection.in_atomic_block
    assert connections_for(len(INDICATORS)) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_never_more_connections_than_indicators(settings: Any) -> None:
    settings.OPENMASH_METRICS_CONNECTIONS = 4

    assert connections_for(2) == 2
    assert connections_for(1) == 1


def _threads_used(pieces: int, together: int = 1) -> list[str]:
    """The thread that did each of `pieces` pieces; each piece waits (up to 10 s) until
    `together` pieces are being done at once, by as many threads."""
    meet = threading.Barrier(together, timeout=10)

    def piece() -> str:
        meet.wait()
        return threading.current_thread().name

    return list(side_by_side({n: piece for n in range(pieces)}).values())


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_helpers_take_pieces_while_the_process_has_connections_to_lend(settings: Any) -> None:
    settings.OPENMASH_METRICS_CONNECTIONS = 3

    used = _threads_used(6, together=3)

    assert len(used) == 6
    assert len(set(used)) == 3
    assert threading.current_thread().name in used


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_with_every_helper_lent_the_work_is_done_on_the_callers_connection(
    settings: Any,
) -> None:
    # Another request has borrowed the process's helper connections.
    settings.OPENMASH_METRICS_CONNECTIONS = 3
    lendable = side_by_side_module._helpers_lendable()
    lent = 0
    while lendable.acquire(blocking=False):
        lent += 1
    try:
        used = _threads_used(4)
    finally:
        for _ in range(lent):
            lendable.release()

    assert lent == 2
    assert set(used) == {threading.current_thread().name}
    # And once they are back, they are lent again.
    assert len(set(_threads_used(3, together=3))) == 3


def _all_at_once(worked_out: _WorkedOut, compute: Any, askers: int) -> list[Any]:
    ready = threading.Barrier(askers)
    answers: list[Any] = []

    def ask() -> None:
        ready.wait()
        try:
            answers.append(worked_out.get(("figures",), compute))
        except ValueError as error:
            answers.append(error)

    threads = [threading.Thread(target=ask) for _ in range(askers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_shared_figure_is_worked_out_once_however_many_ask_at_once() -> None:
    calls: list[int] = []

    def compute() -> object:
        calls.append(1)
        time.sleep(0.05)  # long enough for the others to ask meanwhile
        return object()

    answers = _all_at_once(_WorkedOut(), compute, askers=4)

    assert len(calls) == 1
    assert len(answers) == 4
    assert all(answer is answers[0] for answer in answers)


def test_a_shared_figure_that_fails_fails_every_indicator_asking_for_it() -> None:
    def compute() -> object:
        time.sleep(0.05)
        raise ValueError("no figures")

    answers = _all_at_once(_WorkedOut(), compute, askers=3)

    assert len(answers) == 3
    assert all(isinstance(answer, ValueError) for answer in answers)


@pytest.mark.django_db
def test_the_costliest_indicators_are_started_first_and_given_in_the_order_defined(
    settings: Any,
) -> None:
    """Each connection takes the next piece not yet taken: a long piece taken last would
    keep one connection working after the others were done."""
    settings.OPENMASH_METRICS_CONNECTIONS = 1
    started: list[str] = []

    def piece(key: str, cost: int) -> Indicator:
        def compute(f: MetricFilter) -> str:
            started.append(key)
            return key

        return Indicator(key, key, key, Unit.CONTACTS, Group.VOLUME, compute, cost)

    chosen = {
        "quick": piece("quick", 0),
        "long": piece("long", 60),
        "also_quick": piece("also_quick", 0),
        "middling": piece("middling", 20),
    }
    original = dict(INDICATORS)
    INDICATORS.clear()
    INDICATORS.update(chosen)
    try:
        figures = indicators_compute(MetricFilter.last_days(7), list(chosen))
    finally:
        INDICATORS.clear()
        INDICATORS.update(original)

    assert started == ["long", "middling", "quick", "also_quick"]
    assert list(figures) == ["quick", "long", "also_quick", "middling"]
    # The measured costly ones among the real indicators.
    assert INDICATORS["backlog"].cost > INDICATORS["contacts_received"].cost == 0
