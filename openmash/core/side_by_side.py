"""Independent read-only work done over several PostgreSQL connections side by side
(ADR 0034): a figures page's queries, each of which PostgreSQL runs on one core, spread
over the database server's cores while the person asking waits.

Only on PostgreSQL and outside a transaction: inside one, another connection would not
see what the transaction has not committed (a test's data, for one), so the work is done
one piece after another on the caller's connection, as it is on SQLite.
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


def connections_for(pieces: int) -> int:
    """How many database connections to do `pieces` pieces of work over: setting
    OPENMASH_METRICS_CONNECTIONS (environment variable METRICS_DATABASE_CONNECTIONS) on
    PostgreSQL outside a transaction, at most one per piece; otherwise one."""
    wanted = int(getattr(settings, "OPENMASH_METRICS_CONNECTIONS", 1))
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, min(wanted, pieces))


def side_by_side(work: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    """Each piece of `work` done by the first of connections_for(len(work)) threads free
    to take it (the caller's and the rest, each with its own database connection, closed
    when its thread is done; context variables as the caller's). The answers by key in
    the order given, or the first error a piece raised (no piece is started after it)."""
    workers = connections_for(len(work))
    if workers == 1:
        return {key: piece() for key, piece in work.items()}
    waiting = deque(work.items())
    answers: dict[K, T] = {}
    errors: list[BaseException] = []
    take = threading.Lock()

    def do_work() -> None:
        while not errors:
            with take:
                if not waiting:
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

    threads = [
        threading.Thread(target=copy_context().run, args=(helper,), name=f"side-by-side-{n}")
        for n in range(1, workers)
    ]
    for thread in threads:
        thread.start()
    try:
        do_work()
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return {key: answers[key] for key in work}
