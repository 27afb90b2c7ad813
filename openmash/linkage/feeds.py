"""Agency index feeds: reading an agency's extract of the people it knows and checking
it row by row (issue 4, item 1). No database access: the service
(`openmash.linkage.services.index_import_apply`) applies what this accepts, whole or
not at all.

The CSV format (documented on the upload page and in docs/index-feed-example.csv):
UTF-8, a header row naming the columns, one person a row. The same fields come through
the API as JSON records. Row numbers count the header as row 1, as a spreadsheet shows
them; through the API a record's number is its position in `records`, from 0.

An NHS number, UPN or postcode that fails validation is not an error: it is kept as
given (the matcher does not use it; see openmash.linkage.index.standard_fields) and
counted as a warning; the first WARNINGS_KEPT are listed with their row and field,
never the value.
"""

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from openmash.people.identifiers import nhs_number_is_valid, postcode_is_valid, upn_is_valid

MAX_ROWS = 500_000
# Enough for any agency's extract of 500,000 people with long addresses and pointers.
MAX_FILE_BYTES = 300 * 1024 * 1024

COLUMNS: tuple[str, ...] = (
    "source_id",
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
# The header must name these; the others may be left out (then blank for every row).
REQUIRED_COLUMNS: tuple[str, ...] = ("source_id", "given_names", "family_name")
MAX_LENGTHS: dict[str, int] = {
    "source_id": 100,
    "given_names": 200,
    "family_name": 200,
    "other_names": 500,
    # Checked by their format; a long value is only refused as too long to be one.
    "date_of_birth": 40,
    "sex": 20,
    "address": 500,
    "postcode": 10,
    "nhs_number": 20,
    "upn": 20,
    "involvement": 500,
}
SEXES = {"M": "male", "F": "female", "U": "unknown"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
FILE = "file"  # the "field" of an error about the whole file
# Warnings listed with their rows; the rest are only counted (a feed of an agency's
# whole index may have hundreds of thousands of old, invalid NHS numbers).
WARNINGS_KEPT = 1000
# Why an identifier was kept but not used: never the value itself, only its row says
# which record.
WARNING_MESSAGES: dict[str, str] = {
    "nhs_number": (
        "Not a valid NHS number (10 digits with a correct check digit): kept as given, "
        "not used for matching"
    ),
    "upn": (
        "Not a valid unique pupil number (13 characters with a correct check letter): "
        "kept as given, not used for matching"
    ),
    "postcode": "Not a valid UK postcode: kept as given, not used for matching",
}
# Marks a CSV row with more cells than the header has columns.
_TOO_MANY_VALUES = "\x00too many values"

# What each column holds, for the upload page and the API documentation.
COLUMN_HELP: tuple[tuple[str, str], ...] = (
    ("source_id", "Required. Your system's own id for the record; unique in the file."),
    ("given_names", "Given names. A given name or a family name (or both) is required."),
    ("family_name", "Family name (surname)."),
    ("other_names", "Aliases, previous surnames, other spellings; separate with ; or ,"),
    ("date_of_birth", "YYYY-MM-DD or DD/MM/YYYY; not in the future."),
    ("sex", "M, F or U (unknown); may be blank."),
    ("address", "The address as one line."),
    ("postcode", "UK postcode, e.g. SW1A 1AA."),
    ("nhs_number", "10 digits; spaces allowed."),
    ("upn", "Unique pupil number, 13 characters."),
    (
        "involvement",
        "A short pointer to your involvement, never the record itself, up to 500 "
        'characters: e.g. "3 domestic abuse call-outs, latest 2026-10-01; see case ref X".',
    ),
)


@dataclass(frozen=True)
class FeedError:
    """A reason a row (or the whole file, row None) cannot be imported."""

    row: int | None
    field: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class FeedRows:
    """What was read from a file or an API body: each row's number and raw values, and
    anything wrong with the file as a whole (then no row is looked at)."""

    rows: list[tuple[int, dict[str, str]]]
    file_errors: list[FeedError] = field(default_factory=list)


@dataclass(frozen=True)
class FeedRecord:
    """One person in an agency's index, checked: the IndexedPerson fields as given."""

    source_id: str
    given_names: str
    family_name: str
    other_names: str
    date_of_birth: date | None
    sex: str
    address: str
    postcode: str
    nhs_number: str
    upn: str
    involvement: str


@dataclass(frozen=True)
class FeedChecked:
    records: list[FeedRecord]
    errors: list[FeedError]
    # Identifiers kept as given but not used for matching: {"nhs_number": 3, ...}.
    warnings: dict[str, int]
    rows: int
    # The first WARNINGS_KEPT of them, each with its row, field and why (as FeedError).
    row_warnings: list[FeedError] = field(default_factory=list)


def _file_error(message: str) -> FeedRows:
    return FeedRows(rows=[], file_errors=[FeedError(None, FILE, message)])


def feed_read_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> FeedRows:
    """The rows of a CSV file, or why the file as a whole cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        return _file_error(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it into "
            "smaller files and import them with “add and update”"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _file_error(
            f"The file is not UTF-8 text (the first problem is at byte {error.start}): "
            "save it as “CSV UTF-8” and upload it again"
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return _file_error("The file is empty: it needs a header row and at least one row")
        columns = [cell.strip().lower() for cell in header]
        header_errors = _header_errors(columns)
        if header_errors:
            return FeedRows(rows=[], file_errors=header_errors)
        rows: list[tuple[int, dict[str, str]]] = []
        # The header is row 1; a blank line still counts, as a spreadsheet shows it.
        for number, cells in enumerate(reader, start=2):
            if not cells or not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                return _file_error(
                    f"The file has more than {max_rows:,} rows: split it into files of "
                    f"{max_rows:,} rows or fewer and import them with “add and update”"
                )
            if len(cells) > len(columns):
                rows.append((number, {_TOO_MANY_VALUES: ""}))  # reported by feed_check
                continue
            rows.append((number, dict(zip(columns, cells, strict=False))))
    except csv.Error as error:
        return _file_error(
            f"The file is not a readable CSV file near line {reader.line_num} ({error}): "
            "check its quotes and save it again as CSV"
        )
    if not rows:
        return _file_error("The file has no rows under its header: nothing to import")
    return FeedRows(rows=rows)


def feed_from_records(records: Iterable[Mapping[str, object]]) -> FeedRows:
    """Rows from API records (each a mapping of the same fields), numbered from 0."""
    rows = [
        (index, {key: "" if value is None else str(value) for key, value in record.items()})
        for index, record in enumerate(records)
    ]
    if not rows:
        return _file_error("Send at least one record: nothing to import")
    return FeedRows(rows=rows)


def _header_errors(columns: list[str]) -> list[FeedError]:
    errors: list[FeedError] = []
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        shown = ", ".join(f"“{name[:40]}”" if name else "a blank column" for name in unknown[:5])
        errors.append(
            FeedError(
                1,
                FILE,
                f"The header has columns this format does not have: {shown}. Use only: "
                + ", ".join(COLUMNS),
            )
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        errors.append(
            FeedError(1, FILE, f"The header names a column more than once: {', '.join(repeated)}")
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        errors.append(
            FeedError(1, FILE, f"The header is missing the columns: {', '.join(missing)}")
        )
    return errors


def _is_unicode(value: str) -> bool:
    # JSON can carry a lone surrogate (\ud800) that no database can store.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _row_errors(
    number: int, raw: dict[str, str], seen: dict[str, int], today: date
) -> tuple[list[FeedError], FeedRecord | None]:
    errors: list[FeedError] = []

    def refuse(name: str, message: str) -> None:
        errors.append(FeedError(number, name, message))

    if _TOO_MANY_VALUES in raw:
        refuse(FILE, "The row has more values than the header has columns")
        return errors, None
    unknown = sorted(set(raw) - set(COLUMNS))
    for name in unknown:
        refuse(name[:40], f"Not a field of the format: use only {', '.join(COLUMNS)}")
    values: dict[str, str] = {}
    for name in COLUMNS:
        value = raw.get(name, "").strip()
        if "\x00" in value:
            refuse(name, "Remove the NUL character (\\x00): text cannot contain it")
            value = ""
        elif not _is_unicode(value):
            refuse(name, "Not Unicode text: it holds a lone surrogate such as \\ud800")
            value = ""
        elif len(value) > MAX_LENGTHS[name]:
            refuse(name, f"Too long: {len(value)} characters, at most {MAX_LENGTHS[name]}")
            value = ""
        values[name] = value

    source_id = values["source_id"]
    if not source_id:
        if not any(e.field == "source_id" for e in errors):
            refuse("source_id", "Enter the record's source id")
    elif source_id in seen:
        refuse("source_id", f"The same source id as row {seen[source_id]}: each must be unique")
    else:
        seen[source_id] = number
    no_names = not values["given_names"] and not values["family_name"]
    if no_names and not any(e.field in ("given_names", "family_name") for e in errors):
        refuse("given_names", "Enter a given name or a family name (or both)")

    born: date | None = None
    if values["date_of_birth"]:
        born = _parse_date(values["date_of_birth"])
        if born is None:
            refuse("date_of_birth", "Not a real date: use YYYY-MM-DD or DD/MM/YYYY")
        elif born > today:
            refuse("date_of_birth", "The date of birth is in the future")
    sex = values["sex"].upper()
    if sex and sex not in SEXES:
        refuse("sex", "Use M, F or U (unknown), or leave it blank")

    if errors:
        return errors, None
    return [], FeedRecord(
        source_id=source_id,
        given_names=values["given_names"],
        family_name=values["family_name"],
        other_names=values["other_names"],
        date_of_birth=born,
        sex=sex,
        address=values["address"],
        postcode=values["postcode"],
        nhs_number=values["nhs_number"],
        upn=values["upn"],
        involvement=values["involvement"],
    )


def feed_check(feed: FeedRows, *, today: date) -> FeedChecked:
    """Every row checked: the records if all are good, and every error with its row."""
    if feed.file_errors:
        return FeedChecked(records=[], errors=list(feed.file_errors), warnings={}, rows=0)
    records: list[FeedRecord] = []
    errors: list[FeedError] = []
    seen: dict[str, int] = {}
    warnings = {"nhs_number": 0, "upn": 0, "postcode": 0}
    row_warnings: list[FeedError] = []

    def warn(number: int, name: str) -> None:
        warnings[name] += 1
        if len(row_warnings) < WARNINGS_KEPT:
            row_warnings.append(FeedError(number, name, WARNING_MESSAGES[name]))

    for number, raw in feed.rows:
        row_errors, record = _row_errors(number, raw, seen, today)
        if record is None:
            errors.extend(row_errors)
            continue
        records.append(record)
        if record.nhs_number and not nhs_number_is_valid(record.nhs_number):
            warn(number, "nhs_number")
        if record.upn and not upn_is_valid(record.upn):
            warn(number, "upn")
        if record.postcode and not postcode_is_valid(record.postcode):
            warn(number, "postcode")
    return FeedChecked(
        records=records if not errors else [],
        errors=errors,
        warnings={name: count for name, count in warnings.items() if count},
        rows=len(feed.rows),
        row_warnings=row_warnings,
    )
