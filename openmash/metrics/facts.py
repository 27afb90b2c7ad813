"""Writing the indicators' facts (openmash.metrics.models.ContactFact): worked out from
the workflow's own tables for the contacts a service has just changed, in its
transaction, and for every contact by `manage.py rebuild_metric_facts`. Both go through
`facts_refresh`, so the rows a service writes are the rows a rebuild writes."""

import functools
import re
import weakref
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from psycopg import sql as psycopg_sql

from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson
from openmash.enquiries.models import Decision, DecisionChild, HandOn, HandOnState, RagRating
from openmash.linkage.models import LinkState, PersonLink
from openmash.metrics.models import ContactFact
from openmash.metrics.re_referral import is_re_referral

# Every column but the contact, in the order facts_compute reads them.
FACT_FIELDS = [
    "received_at",
    "referral_source",
    "referrer_organisation",
    "channel",
    "assigned_to",
    "assigned_at",
    "deadline_at",
    "first_rated_at",
    "first_rated_by",
    "rated_at",
    "level",
    "rating_deadline_at",
    "first_decided_at",
    "first_level_of_need",
    "decided_at",
    "decision",
    "outcome",
    "first_amended_at",
    "amendments",
    "children",
    "children_apart",
    "returned_from",
    "returned_until",
    "re_referral",
]
REBUILD_BATCH = 20000


def _with_facts(contacts: QuerySet[Contact]) -> QuerySet[Any]:
    """The contacts as value rows: the contact's id, then FACT_FIELDS in order. One
    SELECT, a look-up per column per contact."""
    ratings = RagRating.objects.filter(contact=OuterRef("pk"))
    first_rating = ratings.order_by("set_at", "id")
    latest_rating = ratings.order_by("-set_at", "-id")
    decisions = Decision.objects.filter(contact=OuterRef("pk"))
    original = decisions.filter(amends__isnull=True)
    latest = decisions.order_by("-decided_at", "-id")
    amendments = decisions.filter(amends__isnull=False)
    amendment_count = (
        amendments.order_by().values("contact").annotate(n=Count("pk")).values("n")[:1]
    )
    # Hand-ons returned to the MASH (still in that state), each with the first decision
    # made at or after its return: from the first return to the last such decision, or
    # open-ended (null) while a return waits for one.
    returned = HandOn.objects.filter(
        contact=OuterRef("pk"), state=HandOnState.RETURNED, responded_at__isnull=False
    )
    answering = Decision.objects.filter(
        contact=OuterRef("contact"), decided_at__gte=OuterRef("responded_at")
    ).order_by("decided_at", "id")
    answered = returned.annotate(m_answered_at=Subquery(answering.values("decided_at")[:1]))
    # The children of the latest decision (f_decision, annotated before them).
    in_latest = DecisionChild.objects.filter(decision=OuterRef("f_decision")).order_by()
    children = in_latest.values("decision").annotate(n=Count("pk")).values("n")[:1]
    return (
        contacts.order_by("pk")
        .annotate(
            f_first_rated_at=Subquery(first_rating.values("set_at")[:1]),
            f_first_rated_by=Subquery(first_rating.values("set_by_id")[:1]),
            f_rated_at=Subquery(latest_rating.values("set_at")[:1]),
            f_level=Subquery(latest_rating.values("level__code")[:1]),
            f_rating_deadline_at=Subquery(latest_rating.values("deadline_at")[:1]),
            f_first_decided_at=Subquery(original.values("decided_at")[:1]),
            f_first_level=Subquery(original.values("level_of_need__number")[:1]),
            f_decided_at=Subquery(latest.values("decided_at")[:1]),
            f_decision=Subquery(latest.values("pk")[:1]),
            f_outcome=Subquery(latest.values("outcome_id")[:1]),
            f_first_amended_at=Subquery(
                amendments.order_by("decided_at", "id").values("decided_at")[:1]
            ),
            f_amendments=Coalesce(Subquery(amendment_count, output_field=IntegerField()), 0),
            f_children=Coalesce(Subquery(children, output_field=IntegerField()), 0),
            f_children_apart=Exists(in_latest.exclude(outcome=F("decision__outcome"))),
            f_returned_from=Subquery(returned.order_by("responded_at").values("responded_at")[:1]),
            f_returned_until=Case(
                When(Exists(answered.filter(m_answered_at__isnull=True)), then=Value(None)),
                default=Subquery(answered.order_by("-m_answered_at").values("m_answered_at")[:1]),
                output_field=DateTimeField(),
            ),
            f_re_referral=is_re_referral(),
        )
        .values_list(
            "pk",
            "received_at",
            "referral_source",
            "referrer_organisation",
            "channel",
            "assigned_to_id",
            "assigned_at",
            "deadline_at",
            "f_first_rated_at",
            "f_first_rated_by",
            "f_rated_at",
            "f_level",
            "f_rating_deadline_at",
            "f_first_decided_at",
            "f_first_level",
            "f_decided_at",
            "f_decision",
            "f_outcome",
            "f_first_amended_at",
            "f_amendments",
            "f_children",
            "f_children_apart",
            "f_returned_from",
            "f_returned_until",
            "f_re_referral",
        )
    )


def facts_refresh(contact_ids: Iterable[int]) -> int:
    """Work out again, and store, the facts of these contacts: one statement (an INSERT
    of the SELECT above, replacing their rows), on both databases. Returns how many
    were written."""
    ids = sorted(set(contact_ids))
    if not ids:
        return 0
    sql, params = _facts_statement(connection.vendor, len(ids))
    with connection.cursor() as cursor:
        if (
            connection.vendor == "postgresql"
            and len(ids) <= _PREPARED_MAX_COUNT
            and settings.OPENMASH_PREPARED_STATEMENTS
        ):
            name = _prepared_on_this_connection(sql, params)
            cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(ids))})", ids)
        else:
            cursor.execute(
                sql, [ids[param] if isinstance(param, _Slot) else param for param in params]
            )
        return cursor.rowcount


# Statements for up to this many contacts are prepared once per PostgreSQL connection: a
# service refreshes one contact or a handful; a rebuild's batches are large and few.
_PREPARED_MAX_COUNT = 16

# The prepared statements' names on each open PostgreSQL connection (psycopg's own
# connection object, so a new or pooled connection is told apart from this one).
_prepared_names: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def _prepared_on_this_connection(sql: str, params: tuple[Any, ...]) -> str:
    """The name of the facts statement prepared (PREPARE) on this PostgreSQL connection,
    preparing it first if this connection has not. Planning the statement (about 60
    correlated look-ups) takes several times longer than running it for one contact, so
    each contact changed paid mostly for planning; a prepared statement is planned once
    per connection and then runs on its generic plan. Only the contact ids are
    parameters: the constants (states, intervals) are written into the statement as
    literals, quoted by psycopg. A PREPARE outlives a rolled-back transaction, and
    PostgreSQL drops it when the connection closes, as the weak reference here does."""
    count = sum(isinstance(param, _Slot) for param in params)
    name = f"openmash_facts_{count}"
    raw = connection.connection
    names = _prepared_names.setdefault(raw, set())
    if name in names:
        return name
    pieces = iter(params)

    def placeholder(match: "re.Match[str]") -> str:
        if match.group(0) == "%%":
            return "%"
        param = next(pieces)
        if isinstance(param, _Slot):
            return f"${int(param) + 1}::bigint"
        return psycopg_sql.Literal(param).as_string(raw)

    text = re.sub(r"%[s%]", placeholder, sql)
    # On psycopg's connection, past Django's cursor: once per connection, so a count of
    # a service's queries does not depend on whether its connection is new.
    raw.execute(f"PREPARE {name} AS {text}".encode())
    names.add(name)
    return name


class _Slot(int):
    """Where the n-th contact id goes in a prepared statement's parameters."""


# Far below any row's id (ids count up from 1), so never mistaken for another parameter.
_SENTINEL_BASE = -(10**15)


@functools.lru_cache(maxsize=64)
def _facts_statement(vendor: str, count: int) -> tuple[str, tuple[Any, ...]]:
    """The INSERT ... SELECT for `count` contact ids, built once per count and database:
    building the SELECT through the ORM (its look-ups nest four deep) takes far longer
    than running it, and every service that changes a contact runs it. The parameters
    hold a _Slot where each contact id goes. Nothing in the statement depends on the
    time or on the data, so the same text serves every call."""
    sentinels = [_SENTINEL_BASE - n for n in range(count)]
    select, built = _with_facts(Contact.objects.filter(pk__in=sentinels)).query.sql_with_params()
    slot_of = {sentinel: n for n, sentinel in enumerate(sentinels)}
    params = tuple(
        _Slot(slot_of[param]) if type(param) is int and param in slot_of else param
        for param in built
    )
    if sum(isinstance(param, _Slot) for param in params) != count:
        raise RuntimeError("the facts statement's contact ids were not all found")
    return _upsert_sql(select), params


def later_contacts_about_the_same_children(contact_ids: list[int]) -> list[int]:
    """Other contacts received at or after these contacts' first decision about a child
    named in them (by the same-child rule or a confirmed link): those a first decision
    recorded as made before they were received can make re-referrals. A superset: their
    facts are worked out again, not assumed changed. Three queries at most."""
    earliest = (
        ContactFact.objects.filter(contact_id__in=contact_ids, first_decided_at__isnull=False)
        .order_by("first_decided_at")
        .values_list("first_decided_at", flat=True)
        .first()
    )
    if earliest is None:
        return []
    children = list(
        ContactPerson.objects.filter(contact_id__in=contact_ids, role__in=CHILD_ROLES).only(
            "pk", "nhs_number", "upn", "family_name", "given_names", "date_of_birth"
        )
    )
    if not children:
        return []
    child_ids = [child.pk for child in children]
    same = Q(pk__in=[])
    for child in children:
        if child.nhs_number:
            same |= Q(nhs_number=child.nhs_number)
        if child.upn:
            same |= Q(upn=child.upn)
        if child.family_name and child.given_names and child.date_of_birth:
            same |= Q(
                family_name__iexact=child.family_name,
                given_names__iexact=child.given_names,
                date_of_birth=child.date_of_birth,
            )
    linked = PersonLink.objects.filter(state=LinkState.CONFIRMED).filter(
        Q(contact_person_id__in=child_ids) | Q(candidate__contact_person_id__in=child_ids)
    )
    same |= Q(pk__in=linked.values("candidate__contact_person_id"))
    same |= Q(pk__in=linked.values("contact_person_id"))
    return sorted(
        set(
            ContactPerson.objects.filter(same, contact__received_at__gte=earliest)
            .exclude(contact_id__in=contact_ids)
            .values_list("contact_id", flat=True)
        )
    )


def facts_refresh_changed(contact_ids: list[int], first_decision: bool) -> None:
    """The refresher openmash.core.metric_facts calls in a service's transaction."""
    facts_refresh(contact_ids)
    if first_decision:
        facts_refresh(later_contacts_about_the_same_children(contact_ids))


# The tables the facts are worked out from, analysed before a rebuild on PostgreSQL: after
# a bulk load (autovacuum may be off) the planner would otherwise guess the look-ups'
# costs from empty statistics and scan whole tables per contact.
SOURCE_TABLES = [
    Contact,
    ContactPerson,
    RagRating,
    Decision,
    HandOn,
    PersonLink,
    ContactFact,
]


def _upsert_sql(select: str) -> str:
    """INSERT the rows of `select` (Django's own SELECT of the facts, its parameters kept
    apart) into the facts, replacing any row of the same contact; the rest is constant
    text. "WHERE true" keeps SQLite from reading ON CONFLICT as part of a join."""
    meta = ContactFact._meta
    columns = [str(meta.get_field(name).column) for name in FACT_FIELDS]  # type: ignore[union-attr]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in ["contact_id", *columns])
    updates = ", ".join(f"{quote(column)} = excluded.{quote(column)}" for column in columns)
    return (
        f"INSERT INTO {quote(meta.db_table)} ({names}) "  # noqa: S608
        f"SELECT * FROM ({select}) AS fresh WHERE true "
        f"ON CONFLICT ({quote('contact_id')}) DO UPDATE SET {updates}"
    )


def _insert_select(contacts: QuerySet[Contact]) -> int:
    """The INSERT ... SELECT of these contacts' facts, replacing their rows (the same
    statement _facts_statement prepares, over any set of contacts)."""
    select, params = _with_facts(contacts).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(select), params)
        return cursor.rowcount


def facts_rebuild(*, batch: int = REBUILD_BATCH) -> int:
    """Work out every contact's facts again from the workflow's tables and delete facts
    whose contact is gone. Set-based: one INSERT ... SELECT per range of `batch`
    contact ids (each in its own transaction), not a statement per contact or a list of
    ids. Returns how many were written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in SOURCE_TABLES:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    bounds = Contact.objects.aggregate(low=Min("pk"), high=Max("pk"))
    written = 0
    if bounds["low"] is not None:
        for low in range(bounds["low"], bounds["high"] + 1, batch):
            with transaction.atomic():
                written += _insert_select(Contact.objects.filter(pk__gte=low, pk__lt=low + batch))
    ContactFact.objects.exclude(contact_id__in=Contact.objects.values("pk")).delete()
    return written
