"""Any table as a CSV or Excel download: the one way OpenMASH exports a table, used by the
extracts and by the indicators dashboard ("CSV and Excel of any table").

    table = Table(
        title="Contacts by referral source",
        columns=(Column("Referral source"), Column("Contacts", kind=ColumnKind.COUNT)),
        rows=[("2A", 12), ("6", 3)],
    )
    return table_response(table, ExportFormat.XLSX)

- CSV is UTF-8 with a byte order mark (so Excel reads accents and the pound sign right),
  with Excel's comma and CRLF conventions. A text cell that a spreadsheet would take for
  a formula (it starts with =, +, -, @, a tab or a carriage return) is written with an
  apostrophe in front, so opening the file never runs anything (OWASP "CSV injection").
- Excel (.xlsx, by openpyxl): a bold, frozen header row, column widths to fit, dates as
  real dates in the table's date format, and every text cell stored as text, never as a
  formula, whatever it starts with.
- `table_response` gives the download as an attachment with a safe ASCII file name made
  from the title, never stored by a browser or proxy (Cache-Control: no-store).

Nothing here reads the database, checks permissions, writes the audit log or withholds
small numbers: callers do that before they hand a table over. A table of counts that
leaves the hub has its small numbers withheld by openmash.metrics.suppression (as
openmash.metrics.exports does for the dashboard's downloads). The statutory extracts
(openmash.extracts.catalogue) are not such tables and are sent whole: lists of children,
one row per child, that Ofsted and the Department for Education ask for by name, where a
small number (a child's age, their earlier referrals) is a fact about that child, not
the size of a group.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from openmash.area.calendar import LONDON

Cell = str | int | float | Decimal | date | datetime | None

# What a spreadsheet may read as the start of a formula or a command.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's limits: characters in a cell, and in a sheet's name.
EXCEL_CELL_LIMIT = 32767
EXCEL_SHEET_NAME_LIMIT = 31
WIDEST_COLUMN = 60
FILE_NAME_LIMIT = 80


class ColumnKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    # A number of people or things (openmash.metrics.suppression withholds small ones in
    # tables for outside the hub).
    COUNT = "count"
    DATE = "date"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def label(self) -> str:
        return "CSV" if self is ExportFormat.CSV else "Excel"

    @property
    def content_type(self) -> str:
        if self is ExportFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class DateFormat:
    """How a table writes dates (and times) in CSV, and the Excel number format for them."""

    csv_date: str
    excel_date: str
    csv_datetime: str
    excel_datetime: str


ISO_DATES = DateFormat("%Y-%m-%d", "yyyy-mm-dd", "%Y-%m-%d %H:%M", "yyyy-mm-dd hh:mm")
UK_DATES = DateFormat("%d/%m/%Y", "dd/mm/yyyy", "%d/%m/%Y %H:%M", "dd/mm/yyyy hh:mm")


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = ColumnKind.TEXT
    # What the column holds and where it comes from, for the page that offers the table.
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A title, columns and rows of plain values: text, numbers, dates or None (empty).
    Times are written in UK time."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Cell]] = field(default_factory=tuple)
    dates: DateFormat = ISO_DATES
    # The file name without its extension; made from the title when empty.
    file_stem: str = ""

    def __post_init__(self) -> None:
        width = len(self.columns)
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValueError(
                    f"Row {number} has {len(row)} cells; the table has {width} columns."
                )

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


# --- Safe values -------------------------------------------------------------------------


def csv_safe(text: str) -> str:
    """The text, with an apostrophe in front if a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(moment: datetime) -> datetime:
    """A time as UK wall-clock time, without a zone (Excel has none)."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment, LONDON)
    return moment.replace(tzinfo=None)


def _csv_cell(value: Cell, dates: DateFormat) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).strftime(dates.csv_datetime)
    if isinstance(value, date):
        return value.strftime(dates.csv_date)
    if isinstance(value, str):
        return csv_safe(value)
    return str(value)


def _excel_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:EXCEL_CELL_LIMIT]


def _shown_width(value: Cell, dates: DateFormat) -> int:
    if isinstance(value, datetime):
        return len(dates.csv_datetime) + 6
    if isinstance(value, date):
        return len(dates.csv_date) + 4
    return len(str(value)) if value is not None else 0


# --- Formats -----------------------------------------------------------------------------


def table_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a byte order mark, a header row, formula-safe text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(value, table.dates) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: 31 characters at most, none of []:*?/\\."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in _excel_text(title))
    return cleaned.strip()[:EXCEL_SHEET_NAME_LIMIT].strip() or "Table"


def table_xlsx(table: Table) -> bytes:
    """The table as an Excel workbook of one sheet (openpyxl, written in one pass)."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "OpenMASH"
    sheet = workbook.create_sheet(sheet_title(table.title))
    widths = [len(header) for header in table.headers]
    for row in table.rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _shown_width(value, table.dates))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, WIDEST_COLUMN)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in table.headers:
        cell = WriteOnlyCell(sheet, value=_excel_text(header))
        cell.data_type = "s"
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in table.rows:
        sheet.append([_excel_cell(sheet, value, table.dates) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_cell(sheet: object, value: Cell, dates: DateFormat) -> WriteOnlyCell:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_local(value))
        cell.number_format = dates.excel_datetime
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = dates.excel_date
    elif isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_excel_text(value))
        # openpyxl takes text starting with "=" for a formula: store it as text.
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(sheet, value=value)
    return cell


def file_name(table: Table, export_format: ExportFormat | str) -> str:
    """A safe file name: lower-case ASCII letters, digits and hyphens, then the extension."""
    stem = slugify(table.file_stem or table.title)[:FILE_NAME_LIMIT].strip("-") or "table"
    return f"{stem}.{ExportFormat(export_format).value}"


def table_response(table: Table, export_format: ExportFormat | str) -> HttpResponse:
    """The table as a download in the format asked for ("csv" or "xlsx"; ValueError for
    anything else)."""
    chosen = ExportFormat(export_format)
    content = table_csv(table) if chosen is ExportFormat.CSV else table_xlsx(table)
    response = HttpResponse(content, content_type=chosen.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name(table, chosen)}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
