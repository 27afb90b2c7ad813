"""Writes to the person index from agencies' index feeds, and each agency's index
settings. Every write checks permission, writes its audit event in the same transaction,
and is the only way in for the web pages, the API and commands alike."""

from collections.abc import Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.utils import timezone

from openmash.accounts.models import Agency
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.linkage.feeds import FeedRecord, FeedRows, feed_check
from openmash.linkage.index import standard_fields
from openmash.linkage.models import (
    AgencyIndexSettings,
    ImportMode,
    IndexedPerson,
    IndexImport,
    IndexSource,
    LinkState,
    PersonLink,
)

# The as-given fields a feed sets (besides source_id); a record whose values are all
# unchanged is left alone, so re-running a file changes nothing.
GIVEN_FIELDS = (
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "nhs_number",
    "upn",
    "involvement",
)
STANDARD_FIELDS = tuple(standard_fields(given_names="", family_name=""))
BATCH = 2000


def _check_may_import(actor: Actor, agency: Agency) -> None:
    """An agency's researcher imports their own agency's feed, an administrator any
    agency's; an API token only its own agency's."""
    if actor.token is not None:
        if actor.token.agency_id != agency.pk or not rules.has_perm(
            "api.import_index_feed", actor.token
        ):
            raise PermissionDenied
        return
    if actor.user is None or not actor.user.has_perm("linkage.import_index_feed", agency):
        raise PermissionDenied


def _given(record: FeedRecord) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in GIVEN_FIELDS)


def _standard(record: FeedRecord) -> dict[str, Any]:
    return standard_fields(
        given_names=record.given_names,
        family_name=record.family_name,
        other_names=record.other_names,
        date_of_birth=record.date_of_birth,
        sex=record.sex,
        postcode=record.postcode,
        nhs_number=record.nhs_number,
        upn=record.upn,
    )


class _IndexWriter:
    """Inserts and updates agency records without a model instance or SQL per row.

    Django's bulk_create and bulk_update spend their time building both (bulk_update a
    CASE per field): measured with 100,000 changed records on SQLite, bulk_update took
    300 s and this a few seconds. SQLite runs one prepared statement with executemany;
    PostgreSQL loads with COPY (inserts straight in; updates through a temporary table
    and one UPDATE), several times faster than statements row by row.
    """

    written = (*GIVEN_FIELDS, *STANDARD_FIELDS, "imported_at")

    def __init__(self, agency: Agency, now: datetime) -> None:
        self.agency = agency
        self.now = now
        meta = IndexedPerson._meta
        self.table = connection.ops.quote_name(meta.db_table)
        # Plain text goes as it is; dates, times and JSON through their field's adapter.
        self.prepare: list[models.Field[Any, Any] | None] = []
        for name in self.written:
            field = meta.get_field(name)
            assert isinstance(field, models.Field)
            self.prepare.append(None if isinstance(field, models.CharField) else field)

    def _values(self, record: FeedRecord) -> list[Any]:
        values = {name: getattr(record, name) for name in GIVEN_FIELDS}
        values.update(_standard(record), imported_at=self.now)
        return [
            value if field is None else field.get_db_prep_save(value, connection)
            for field, value in zip(self.prepare, (values[n] for n in self.written), strict=True)
        ]

    def insert(self, records: list[FeedRecord]) -> None:
        columns = ["source", "agency_id", "source_id", *self.written]
        # Names from the model, values as parameters.
        names = ", ".join(map(connection.ops.quote_name, columns))
        placeholders = ", ".join(["%s"] * len(columns))
        rows = (
            [IndexSource.AGENCY.value, self.agency.pk, record.source_id, *self._values(record)]
            for record in records
        )
        if connection.vendor == "postgresql":
            # COPY: PostgreSQL's bulk load, several times faster than row-by-row inserts.
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {self.table} ({names}) VALUES ({placeholders})"  # noqa: S608
        self._run(sql, rows)

    def update(self, records: list[tuple[int, FeedRecord]]) -> None:
        if connection.vendor == "postgresql" and records:
            self._update_through_copy(records)
            return
        assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in self.written)
        where = f"{connection.ops.quote_name('id')} = %s"
        sql = f"UPDATE {self.table} SET {assignments} WHERE {where}"  # noqa: S608
        self._run(sql, ([*self._values(record), pk] for pk, record in records))

    def _update_through_copy(self, records: list[tuple[int, FeedRecord]]) -> None:
        """PostgreSQL: COPY the new values into a temporary table, then one UPDATE."""
        quote = connection.ops.quote_name
        columns = ["id", *self.written]
        names = ", ".join(map(quote, columns))
        assignments = ", ".join(f"{quote(name)} = changed.{quote(name)}" for name in self.written)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE feed_changed ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {names} FROM {self.table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY feed_changed ({names}) FROM STDIN") as copy:
                for pk, record in records:
                    copy.write_row([pk, *self._values(record)])
            cursor.execute(
                f"UPDATE {self.table} SET {assignments} FROM feed_changed AS changed "  # noqa: S608
                f"WHERE {self.table}.{quote('id')} = changed.{quote('id')}"
            )
            cursor.execute("DROP TABLE feed_changed")

    def _run(self, sql: str, params: Iterator[list[Any]]) -> None:
        with connection.cursor() as cursor:
            while batch := list(islice(params, BATCH)):
                cursor.executemany(sql, batch)


def _audit_import(actor: Actor, index_import: IndexImport, warnings: dict[str, int]) -> None:
    # Counts only: never a name or an identifier from the feed.
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="index_import",
        object_id=index_import.pk,
        detail={
            "agency_id": index_import.agency_id,
            "mode": index_import.mode,
            "rows": index_import.rows,
            "applied": index_import.applied,
            "errors": len(index_import.errors),
            "added": index_import.added,
            "updated": index_import.updated,
            "removed": index_import.removed,
            "withdrawn": index_import.withdrawn,
            "warnings": warnings,
        },
    )


def _remove_or_withdraw(
    gone: list[int], withdrawn_before: set[int], now: datetime
) -> tuple[int, int, int]:
    """Records no longer in the agency's feed: each one a screener confirmed as a child
    is kept and marked withdrawn (the child's record must not silently lose it); the
    rest are deleted with their suggested, rejected and undone links. Returns (removed,
    newly withdrawn, links removed).

    The links of each batch are locked before they are read, so a screener confirming
    one of them at the same moment is either seen here (the record is withdrawn) or
    waits until this import is done (and finds the suggestion gone)."""
    removed = withdrawn = links_removed = 0
    for start in range(0, len(gone), BATCH):
        batch = gone[start : start + BATCH]
        confirmed = {
            candidate_id
            for candidate_id, state in PersonLink.objects.select_for_update()
            .filter(candidate_id__in=batch)
            .values_list("candidate_id", "state")
            if state == LinkState.CONFIRMED
        }
        deleted = [pk for pk in batch if pk not in confirmed]
        newly_withdrawn = [pk for pk in batch if pk in confirmed and pk not in withdrawn_before]
        if deleted:
            links_removed += PersonLink.objects.filter(candidate_id__in=deleted).delete()[0]
            IndexedPerson.objects.filter(pk__in=deleted).delete()
        if newly_withdrawn:
            IndexedPerson.objects.filter(pk__in=newly_withdrawn).update(withdrawn_at=now)
        removed += len(deleted)
        withdrawn += len(newly_withdrawn)
    return removed, withdrawn, links_removed


@transaction.atomic
def index_import_apply(
    *,
    actor: Actor,
    agency: Agency,
    mode: str,
    rows: FeedRows,
    file_name: str = "",
    today: date | None = None,
    now: datetime | None = None,
) -> IndexImport:
    """Check every row of an agency's feed and apply it whole, or not at all.

    - If any row (or the file) is bad, the index is not changed: the IndexImport is
      saved with applied=False and every error, so people can see why.
    - Otherwise, in this one transaction: "replace" makes the agency's index exactly the
      file (adds and updates by source_id, takes out the records not in it); "delta" adds
      and updates only. Records whose values are unchanged are left alone, so re-running
      the same file changes nothing (added = updated = removed = withdrawn = 0).
    - A record taken out that a screener confirmed as a person in a contact is never
      deleted: it is marked withdrawn (`withdrawn_at`, counted in `withdrawn`), its
      confirmed links stay, and the matcher no longer offers it. Any other record taken
      out is deleted (`removed`) with its suggestions and rejected or undone links; how
      many links is in the audit event. A withdrawn record the file holds again is
      brought back (counted as updated).
    - NHS numbers, UPNs and postcodes that fail validation are kept as given: warnings,
      stored on the import whether or not it is applied, counted by field
      (`warning_counts`, also in the audit event) and the first WARNINGS_KEPT listed
      with their row and field (`warnings`), never with the value.

    Raises PermissionDenied unless the actor may import this agency's feed, and
    ValueError for a mode that is not "replace" or "delta".
    """
    _check_may_import(actor, agency)
    if mode not in ImportMode.values:
        raise ValueError(f"Unknown import mode {mode!r}")
    now = now or timezone.now()
    checked = feed_check(rows, today=today or timezone.localdate())
    index_import = IndexImport(
        agency=agency,
        mode=mode,
        file_name=file_name.replace("\x00", "")[:200],
        uploaded_by=actor.user if actor.token is None else None,
        uploaded_by_token=actor.token,
        uploaded_at=now,
        rows=checked.rows,
        errors=[error.as_json() for error in checked.errors],
        warnings=[warning.as_json() for warning in checked.row_warnings],
        warning_counts=checked.warnings,
    )
    if checked.errors:
        index_import.save()
        _audit_import(actor, index_import, checked.warnings)
        return index_import

    # One import at a time per agency (PostgreSQL; SQLite's write lock does the same).
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
    withdrawn_before: set[int] = set()
    for pk, source_id, withdrawn_at, *values in (
        IndexedPerson.objects.filter(source=IndexSource.AGENCY, agency=agency)
        .values_list("pk", "source_id", "withdrawn_at", *GIVEN_FIELDS)
        .iterator(chunk_size=BATCH)
    ):
        existing[source_id] = (pk, tuple(values))
        if withdrawn_at is not None:
            withdrawn_before.add(pk)
    added: list[FeedRecord] = []
    changed: list[tuple[int, FeedRecord]] = []
    returned: list[int] = []
    for record in checked.records:
        known = existing.pop(record.source_id, None)
        if known is None:
            added.append(record)
            continue
        if known[0] in withdrawn_before:
            returned.append(known[0])
        if known[1] != _given(record):
            changed.append((known[0], record))
    gone = [pk for pk, _ in existing.values()] if mode == ImportMode.REPLACE else []

    removed, withdrawn, links_removed = _remove_or_withdraw(gone, withdrawn_before, now)
    for start in range(0, len(returned), BATCH):
        IndexedPerson.objects.filter(pk__in=returned[start : start + BATCH]).update(
            withdrawn_at=None
        )
    writer = _IndexWriter(agency, now)
    writer.insert(added)
    writer.update(changed)

    index_import.applied = True
    index_import.added = len(added)
    # A withdrawn record the file brings back counts as updated, changed or not.
    index_import.updated = len({pk for pk, _ in changed} | set(returned))
    index_import.removed = removed
    index_import.withdrawn = withdrawn
    index_import.save()
    _audit_import(actor, index_import, checked.warnings)
    if links_removed:
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            object_type="person_link",
            detail={"index_import_id": index_import.pk, "links_removed": links_removed},
        )
    return index_import


def import_warnings(index_import: IndexImport) -> dict[str, int]:
    """The warning counts of an import, by field: {"nhs_number": 3}."""
    return {str(name): int(count) for name, count in index_import.warning_counts.items()}


@transaction.atomic
def agency_index_settings_update(
    *, actor: Actor, agency: Agency, visible_to_mash_screeners: bool
) -> AgencyIndexSettings:
    """Whether the agency's "known to" flags are shown to MASH screeners (otherwise only
    to its own researchers). Audited with the old and new value."""
    if actor.user is None or not actor.user.has_perm("linkage.manage_index_settings", agency):
        raise PermissionDenied
    index_settings, _ = AgencyIndexSettings.objects.select_for_update().get_or_create(agency=agency)
    before = index_settings.visible_to_mash_screeners
    if before != visible_to_mash_screeners:
        index_settings.visible_to_mash_screeners = visible_to_mash_screeners
        index_settings.save(update_fields=["visible_to_mash_screeners"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="agency_index_settings",
            object_id=index_settings.pk,
            detail={
                "agency_id": agency.pk,
                "visible_to_mash_screeners": [before, visible_to_mash_screeners],
            },
        )
    return index_settings
