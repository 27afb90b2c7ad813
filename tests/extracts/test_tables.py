"""Any table as CSV or Excel: formula-safe, dates as dates, safe file names. (Small
numbers are withheld before a table gets here: tests/metrics/test_exports.py.)"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from openmash.extracts.tables import (
    UK_DATES,
    Column,
    ColumnKind,
    ExportFormat,
    Table,
    file_name,
    sheet_title,
    table_csv,
    table_response,
    table_xlsx,
)

HOSTILE = [
    '=HYPERLINK("http://evil.example","Click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rReturned",
]


def a_table(**overrides: object) -> Table:
    values: dict[str, object] = {
        "title": "Contacts by source",
        "columns": (
            Column("Source"),
            Column("Contacts", kind=ColumnKind.COUNT),
            Column("First contact", kind=ColumnKind.DATE),
        ),
        "rows": [("2A School", 12, date(2026, 10, 5)), ("6 Police", 3, None)],
    }
    values.update(overrides)
    return Table(**values)  # type: ignore[arg-type]


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_it_writes_csv_as_utf8_with_a_byte_order_mark_for_excel() -> None:
    table = a_table(rows=[("Café £5, Zoë", 5, date(2026, 10, 5))])

    content = table_csv(table)

    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content
    assert _csv_rows(content) == [
        ["Source", "Contacts", "First contact"],
        ["Café £5, Zoë", "5", "2026-10-05"],
    ]


def test_it_writes_dates_in_the_tables_format() -> None:
    table = a_table(dates=UK_DATES)

    assert _csv_rows(table_csv(table))[1:] == [
        ["2A School", "12", "05/10/2026"],
        ["6 Police", "3", ""],
    ]


def test_it_writes_times_in_uk_time() -> None:
    table = a_table(
        columns=(Column("When", kind=ColumnKind.DATE),),
        rows=[(datetime(2026, 10, 5, 11, 30, tzinfo=UTC),)],
    )

    assert _csv_rows(table_csv(table))[1] == ["2026-10-05 12:30"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_it_keeps_csv_cells_from_being_read_as_formulas(hostile: str) -> None:
    table = a_table(columns=(Column(hostile), Column("Note")), rows=[(hostile, "fine")])

    rows = _csv_rows(table_csv(table))

    assert rows == [["'" + hostile, "Note"], ["'" + hostile, "fine"]]


def test_it_leaves_numbers_alone_in_csv() -> None:
    table = a_table(columns=(Column("Change", kind=ColumnKind.NUMBER),), rows=[(-3,), (2.5,)])

    assert _csv_rows(table_csv(table))[1:] == [["-3"], ["2.5"]]


def test_it_writes_an_excel_workbook_with_the_same_rows() -> None:
    table = a_table(dates=UK_DATES)

    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active

    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Source", "Contacts", "First contact"]
    assert values[1][:2] == ["2A School", 12]
    assert values[1][2].date() == date(2026, 10, 5)
    assert values[2] == ["6 Police", 3, None]
    assert sheet.title == "Contacts by source"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet["C2"].is_date and sheet["C2"].number_format == "dd/mm/yyyy"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len("2A School")


def test_it_stores_formula_like_text_as_text_in_excel() -> None:
    table = a_table(columns=(Column("Note"),), rows=[(hostile,) for hostile in HOSTILE])

    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active

    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.data_type for cell in cells] == ["s"] * len(HOSTILE)
    assert cells[0].value == HOSTILE[0]


def test_it_drops_characters_excel_cannot_hold() -> None:
    table = a_table(columns=(Column("Note"),), rows=[("bell\x07 here",)])

    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active

    assert sheet["A2"].value == "bell here"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Annex A List 1: contacts", "annex-a-list-1-contacts.csv"),
        ('../../etc/passwd"; rm -rf', "etcpasswd-rm-rf.csv"),
        ("Zoë's réferrals", "zoes-referrals.csv"),
        ("***", "table.csv"),
        ("x" * 300, "x" * 80 + ".csv"),
    ],
)
def test_it_makes_safe_file_names(title: str, expected: str) -> None:
    assert file_name(a_table(title=title), "csv") == expected


def test_it_makes_sheet_titles_excel_accepts() -> None:
    assert sheet_title("Annex A List 1: contacts [draft] / *?") == "Annex A List 1  contacts  draft"
    assert sheet_title("") == "Table"


@pytest.mark.parametrize(
    ("export_format", "content_type", "extension"),
    [
        ("csv", "text/csv; charset=utf-8", "csv"),
        (
            ExportFormat.XLSX,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    ],
)
def test_it_answers_with_a_download(
    export_format: ExportFormat | str, content_type: str, extension: str
) -> None:
    response = table_response(a_table(file_stem="contacts-october"), export_format)

    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="contacts-october.{extension}"'
    )
    assert response["Cache-Control"] == "no-store"


def test_it_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError):
        table_response(a_table(), "pdf")


def test_it_refuses_a_row_of_the_wrong_width() -> None:
    with pytest.raises(ValueError, match="Row 2 has 2 cells"):
        a_table(rows=[("2A", 1, None), ("6", 2)])
