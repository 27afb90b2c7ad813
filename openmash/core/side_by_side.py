"""Independent read-only work done over several PostgreSQL connections side by side
(ADR 0034): a figures page's queries, each of which PostgreSQL runs on one core, spread
over the database server's cores while the person asking waits.

Only on PostgreSQL and outside a transaction: inside one, another connection would not
see what the transaction has not committed (a test's data, for one), so the work is done
one piece after another on the caller's connection, as it is on SQLite.

A process lends at most OPENMASH_METRICS_CONNECTIONS - 1 helper connections at once,
whatever the number of requests asking: a request that finds them all lent does its work
on its own connection, so a burst of figures pages never takes more than that many of
the process's pooled connections beyond one a thread.
"""

import threading
from collections import deque
from collections.abc import Callable, Mapping
from contextvars import copy_context
from typing import TypeVar

from django.conf import settings
from django.db import connection, connections

K = TypeVar("K")
T = TypeVar("T")

_lending = threading.Lock()
_lendable: tuple[int, threading.Semaphore] | None = None


def _configured() -> int:
    return max(1, int(getattr(settings, "OPENMASH_METRICS_CONNECTIONS", 1)))


def _helpers_lendable() -> threading.Semaphore:
    """The process's helper connections not lent at the moment (a new count if the
    setting has changed, as tests change it)."""
    global _lendable
    helpers = _configured() - 1
    with _lending:
        if _lendable is None or _lendable[0] != helpers:
            _lendable = (helpers, threading.Semaphore(helpers))
        return _lendable[1]


def connections_for(pieces: int) -> int:
    """How many database connections `pieces` pieces of work may be done over: setting
    OPENMASH_METRICS_CONNECTIONS (environment variable METRICS_DATABASE_CONNECTIONS) on
    PostgreSQL outside a transaction, at most one per piece; otherwise one. Fewer are
    used while other requests have borrowed the process's helper connections."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not connection.get_autocommit()
    ):
        return 1
    return max(1, min(_configured(), pieces))


def side_by_side(work: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    """Each piece of `work` done by the first free thread: the caller's, and one more for
    each helper connection it could borrow (connections_for), each with its own database
    connection, closed when its thread is done. Helpers see the caller's context
    variables, not Django's activated time zone or language (the figures name their own
    time zone). The answers by key in the order given, or the first error a piece raised
    (no piece is taken after it)."""
    wanted = connections_for(len(work)) - 1
    lendable = _helpers_lendable() if wanted else None
    borrowed = 0
    while lendable is not None and borrowed < wanted and lendable.acquire(blocking=False):
        borrowed += 1
    if not borrowed:
        return {key: piece() for key, piece in work.items()}
    assert lendable is not None
    waiting = deque(work.items())
    answers: dict[K, T] = {}
    errors: list[BaseException] = []
    take = threading.Lock()

    def do_work() -> None:
        while True:
            with take:
                if errors or not waiting:
                    return
                key, piece = waiting.popleft()
            try:
                answers[key] = piece()
            except BaseException as error:
                errors.append(error)

    def helper() -> None:
        try:
            do_work()
        finally:
            connections.close_all()  # this thread's own connections
            lendable.release()

    threads = [
        threading.Thread(target=copy_context().run, args=(helper,), name=f"side-by-side-{n}")
        for n in range(1, borrowed + 1)
    ]
    started: list[threading.Thread] = []
    try:
        for thread in threads:
            thread.start()
            started.append(thread)
        do_work()
    finally:
        for thread in started:
            thread.join()
        for _ in range(len(threads) - len(started)):
            lendable.release()
    if errors:
        raise errors[0]
    return {key: answers[key] for key in work}
