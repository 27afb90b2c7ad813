"""The hook through which services refresh the indicators' facts
(openmash.core.metric_facts): only inside the change's transaction, never dropped."""

import pytest

from openmash.core import metric_facts
from openmash.core.metric_facts import (
    FactsChangedOutsideTransaction,
    NoFactsRefresher,
    contacts_changed,
)


@pytest.mark.django_db(transaction=True)
def test_it_refuses_outside_a_transaction() -> None:
    with pytest.raises(FactsChangedOutsideTransaction):
        contacts_changed([1])


@pytest.mark.django_db(transaction=True)
def test_it_refuses_without_a_refresher(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import transaction

    monkeypatch.setattr(metric_facts, "_refreshers", [])
    with pytest.raises(NoFactsRefresher), transaction.atomic():
        contacts_changed([1])


def test_it_passes_each_contact_once_in_order(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import transaction

    calls: list[tuple[list[int], bool]] = []
    monkeypatch.setattr(
        metric_facts, "_refreshers", [lambda ids, first: calls.append((ids, first))]
    )
    with transaction.atomic():
        contacts_changed([3, None, 1, 3], first_decision=True)
        contacts_changed([None])
    assert calls == [([1, 3], True)]
