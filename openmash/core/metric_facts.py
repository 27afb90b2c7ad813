"""The hook through which a service says it changed what the indicators' facts record.

The indicators read one narrow row of facts per contact (openmash.metrics.models,
docs/adr/0026-metric-facts.md), which must change with the contact in the same
transaction. The apps that change contacts (intake, the hub's work, person matching) sit
below openmash.metrics, so they cannot import it: they call `contacts_changed` here
instead, inside the transaction that makes the change, and openmash.metrics registers the
refresher when Django starts (MetricsConfig.ready), as the event outbox does
(openmash/core/outbox.py).

`contacts_changed` refuses to run outside a transaction and when no refresher is
registered, so a fact is never silently left behind.
"""

from collections.abc import Callable, Iterable

from django.db import transaction

# (contact ids, whether a first decision was just recorded on them)
Refresher = Callable[[list[int], bool], object]
_refreshers: list[Refresher] = []


class NoFactsRefresher(RuntimeError):
    """A contact changed but nothing is installed to refresh its facts."""


class FactsChangedOutsideTransaction(RuntimeError):
    """Facts must be written in the transaction of the change they describe."""


def register_facts_refresher(refresher: Refresher) -> None:
    if refresher not in _refreshers:
        _refreshers.append(refresher)


def contacts_changed(contact_ids: Iterable[int | None], *, first_decision: bool = False) -> None:
    """The contacts' facts are out of date: work them out again, in the caller's
    transaction. `first_decision`: the MASH has just first decided them, which can make
    other contacts about the same children re-referrals (only when the decision is
    recorded as made before those contacts were received)."""
    if not transaction.get_connection().in_atomic_block:
        raise FactsChangedOutsideTransaction("contacts_changed needs the change's transaction.")
    if not _refreshers:
        raise NoFactsRefresher("A contact changed, but no metric facts are installed.")
    ids = sorted({pk for pk in contact_ids if pk is not None})
    if not ids:
        return
    for refresher in _refreshers:
        refresher(ids, first_decision)
