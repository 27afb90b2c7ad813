"""The indicator facts' statement prepared once per PostgreSQL connection
(openmash.metrics.facts): the facts it writes are a rebuild's (this package's conftest
checks every test), and it survives what a connection meets."""

from typing import Any

import pytest
from django.db import connection, transaction

from openmash.accounts.models import User
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.metrics import facts
from openmash.metrics.models import ContactFact
from tests.factories import a_submission

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")


class _Abandoned(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_the_statement_prepared(screener: User) -> None:
    # A PREPARE is not undone by a rollback, so the connection's record of it stays true.
    with pytest.raises(_Abandoned), transaction.atomic():
        contact_create(actor=Actor(user=screener), submission=a_submission())
        assert "openmash_facts_1" in facts._prepared_names[connection.connection]
        raise _Abandoned

    contact, _ = contact_create(actor=Actor(user=screener), submission=a_submission())

    assert ContactFact.objects.get(contact=contact).received_at == contact.received_at


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_it_again(screener: User) -> None:
    first, _ = contact_create(actor=Actor(user=screener), submission=a_submission())
    connection.close()

    second, _ = contact_create(actor=Actor(user=screener), submission=a_submission())

    assert "openmash_facts_1" in facts._prepared_names[connection.connection]
    assert ContactFact.objects.filter(contact__in=[first, second]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_behind_a_transaction_pooler_nothing_is_prepared(screener: User, settings: Any) -> None:
    # DATABASE_PREPARED_STATEMENTS=0 (ADR 0033): the next transaction may run on another
    # server connection, so the statement is sent whole each time, on the same connection
    # that would otherwise have prepared it.
    settings.OPENMASH_PREPARED_STATEMENTS = False
    connection.close()

    contact, _ = contact_create(actor=Actor(user=screener), submission=a_submission())

    assert not facts._prepared_names.get(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'openmash_facts%'"
        )
        assert cursor.fetchone() == (0,)
    assert ContactFact.objects.get(contact=contact).received_at == contact.received_at
