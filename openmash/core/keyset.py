"""Keyset paging: a list's pages found by where the last page ended, not by counting rows
to skip, so the hundredth page costs what the first does however long the list grows;
and a count that stops at COUNT_CAP ("more than 1,000"), so counting does not grow either.

A page is asked for by a cursor: `after` (the next page: rows after the last one shown)
or `before` (the previous page: rows before the first one shown). A cursor is the
sort moment and the row's id of the row it starts from, e.g. `2026-03-04T10:00:00+00:00~42`
(no personal data, so it can sit in a URL). Rows are in order of the moment, then of the
id, so rows received at the same moment are never shown twice or skipped.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

COUNT_CAP = 1000
SEPARATOR = "~"


@dataclass(frozen=True)
class Cursor:
    moment: datetime
    pk: int

    def __str__(self) -> str:
        return f"{self.moment.isoformat()}{SEPARATOR}{self.pk}"

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """The cursor in `text`, or None if there is none or it is not one (a mistyped
        or tampered link shows the first page, never an error)."""
        if not text or SEPARATOR not in text or len(text) > 100:
            return None
        moment, _, pk = text.rpartition(SEPARATOR)
        try:
            parsed = datetime.fromisoformat(moment)
            number = int(pk)
        except ValueError:
            return None
        if parsed.tzinfo is None or number < 1:
            return None
        return cls(parsed, number)


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, newest first, with the cursors to the pages either side and the
    list's length up to COUNT_CAP."""

    object_list: list[Any]
    next_cursor: str
    previous_cursor: str
    count: int
    count_capped: bool

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def count_text(self) -> str:
        return f"more than {COUNT_CAP:,}" if self.count_capped else f"{self.count:,}"


def capped_count(rows: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting no further than cap + 1: (count, whether over the cap)."""
    counted = rows.order_by().values("pk")[: cap + 1].count()
    return min(counted, cap), counted > cap


def keyset_page_newest_first(
    rows: QuerySet[Any],
    *,
    moment: str,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage:
    """The page of `rows` in order of `moment` descending, then id descending: the first
    page, the one after the `after` cursor, or the one before the `before` cursor. Two
    queries: the page (one row more, to know if there is another) and the capped
    count. `rows` should have an index on (moment, id) in its filter's scope."""
    return _keyset_page(
        rows, moment=moment, per_page=per_page, after=after, before=before, newest_first=True
    )


def keyset_page_oldest_first(
    rows: QuerySet[Any],
    *,
    moment: str,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage:
    """As keyset_page_newest_first, in order of `moment` ascending, then id ascending (a
    queue worked oldest first): `after` is the next page, of later rows."""
    return _keyset_page(
        rows, moment=moment, per_page=per_page, after=after, before=before, newest_first=False
    )


def _keyset_page(
    rows: QuerySet[Any],
    *,
    moment: str,
    per_page: int,
    after: str | None,
    before: str | None,
    newest_first: bool,
) -> KeysetPage:
    # "Onward" is the list's own direction: older rows when newest first, later rows
    # when oldest first; "back" is the other way.
    onward, back = ("lt", "gt") if newest_first else ("gt", "lt")
    in_order = [f"-{moment}", "-pk"] if newest_first else [moment, "pk"]
    reverse_order = [moment, "pk"] if newest_first else [f"-{moment}", "-pk"]

    def beyond(cursor: Cursor, direction: str) -> Q:
        return Q(**{f"{moment}__{direction}": cursor.moment}) | Q(
            **{moment: cursor.moment, f"pk__{direction}": cursor.pk}
        )

    start_after, end_before = Cursor.parse(after), Cursor.parse(before)
    if end_before is not None:
        found = list(rows.filter(beyond(end_before, back)).order_by(*reverse_order)[: per_page + 1])
        more_before = len(found) > per_page
        shown = list(reversed(found[:per_page]))
        more_after = True
    else:
        page_rows = rows if start_after is None else rows.filter(beyond(start_after, onward))
        found = list(page_rows.order_by(*in_order)[: per_page + 1])
        more_after = len(found) > per_page
        shown = found[:per_page]
        more_before = start_after is not None
    count, capped = capped_count(rows)

    def cursor(row: Model) -> str:
        return str(Cursor(getattr(row, moment), int(row.pk)))

    return KeysetPage(
        object_list=shown,
        next_cursor=cursor(shown[-1]) if shown and more_after else "",
        previous_cursor=cursor(shown[0]) if shown and more_before else "",
        count=count,
        count_capped=capped,
    )
