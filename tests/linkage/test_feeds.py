"""Agency index feeds: the CSV format checked row by row, and imports applied whole or
not at all (replace, delta, re-runs), by whom."""

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from openmash.accounts.models import Agency, User
from openmash.accounts.services import api_token_issue
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from openmash.linkage.feeds import COLUMNS, FeedRows, feed_check, feed_from_records, feed_read_csv
from openmash.linkage.models import IndexedPerson, IndexImport, IndexSource, LinkState, PersonLink
from openmash.linkage.services import import_warnings, index_import_apply
from tests.factories import VALID_NHS_NUMBER, VALID_UPN

TODAY = date(2026, 11, 23)
HEADER = ",".join(COLUMNS)
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "index-feed-example.csv"


def a_row(**values: str) -> dict[str, str]:
    row = {
        "source_id": "PN-1",
        "given_names": "Amy",
        "family_name": "Smith",
        "other_names": "",
        "date_of_birth": "2018-03-14",
        "sex": "F",
        "address": "1 High Street, Eastbridge",
        "postcode": "DC1 4AB",
        "nhs_number": VALID_NHS_NUMBER,
        "upn": VALID_UPN,
        "involvement": "3 domestic abuse call-outs, latest 2026-10-01; see case ref X",
    }
    row.update(values)
    return row


def csv_bytes(*rows: dict[str, str], header: str = HEADER) -> bytes:
    columns = header.split(",")

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value

    lines = [header] + [",".join(cell(row.get(name, "")) for name in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def checked(data: bytes) -> Any:
    return feed_check(feed_read_csv(data), today=TODAY)


def errors_of(data: bytes) -> list[tuple[int | None, str]]:
    return [(error.row, error.field) for error in checked(data).errors]


# --- The format, row by row ---------------------------------------------------------


def test_it_reads_the_documented_example_file() -> None:
    result = checked(EXAMPLE.read_bytes())
    assert result.errors == []
    assert result.rows == 4
    assert [record.source_id for record in result.records] == [
        "PN-000123",
        "PN-000124",
        "PN-000125",
        "PN-000126",
    ]
    # DD/MM/YYYY is read as day first.
    assert result.records[1].date_of_birth == date(1988, 4, 2)


def test_it_reads_a_good_row_as_given() -> None:
    result = checked(csv_bytes(a_row(sex="f", given_names="  Amy  ")))
    assert result.errors == []
    record = result.records[0]
    assert (record.given_names, record.sex, record.date_of_birth) == ("Amy", "F", date(2018, 3, 14))
    assert record.involvement.startswith("3 domestic abuse")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"date_of_birth": "2018-02-30"}, "date_of_birth", "real date"),
        ({"date_of_birth": "14 March 2018"}, "date_of_birth", "real date"),
        ({"date_of_birth": "2027-01-01"}, "date_of_birth", "future"),
        ({"sex": "X"}, "sex", "M, F or U"),
        ({"sex": "male"}, "sex", "M, F or U"),
        ({"source_id": ""}, "source_id", "source id"),
        ({"given_names": "", "family_name": ""}, "given_names", "given name or a family name"),
        ({"involvement": "x" * 501}, "involvement", "at most 500"),
        ({"source_id": "x" * 101}, "source_id", "at most 100"),
        ({"postcode": "DC1 4AB DC1 4AB"}, "postcode", "at most 10"),
        ({"family_name": "Sm\x00ith"}, "family_name", "NUL"),
        ({"address": "1 High\x00 Street"}, "address", "NUL"),
    ],
)
def test_it_reports_a_bad_row_with_its_number_field_and_reason(
    change: dict[str, str], field: str, words: str
) -> None:
    data = csv_bytes(a_row(source_id="A"), a_row(**({"source_id": "B"} | change)))
    result = checked(data)
    assert [(error.row, error.field) for error in result.errors] == [(3, field)]
    assert words in result.errors[0].message
    assert result.records == []


def test_it_reports_a_duplicate_source_id_with_the_first_row() -> None:
    result = checked(csv_bytes(a_row(source_id="A"), a_row(source_id="B"), a_row(source_id="A")))
    assert [(error.row, error.field) for error in result.errors] == [(4, "source_id")]
    assert "row 2" in result.errors[0].message


def test_it_reports_every_bad_row_not_just_the_first() -> None:
    rows = [a_row(source_id=str(n), sex="Q" if n % 3 == 0 else "F") for n in range(1, 31)]
    assert errors_of(csv_bytes(*rows)) == [(n + 1, "sex") for n in range(3, 31, 3)]


def test_it_reports_several_errors_in_one_row() -> None:
    data = csv_bytes(a_row(date_of_birth="31/31/2010", sex="Z", involvement="x" * 600))
    assert errors_of(data) == [(2, "involvement"), (2, "date_of_birth"), (2, "sex")]


def test_it_refuses_a_file_that_is_not_utf8() -> None:
    data = csv_bytes(a_row(family_name="Zoë")).decode().encode("latin-1")
    result = checked(data)
    assert [(error.row, error.field) for error in result.errors] == [(None, "file")]
    assert "UTF-8" in result.errors[0].message


def test_it_reads_utf8_with_a_byte_order_mark() -> None:
    result = checked(b"\xef\xbb\xbf" + csv_bytes(a_row(family_name="Zoë")))
    assert result.errors == []
    assert result.records[0].family_name == "Zoë"


def test_it_refuses_too_many_rows() -> None:
    rows = [a_row(source_id=str(n)) for n in range(6)]
    result = feed_check(feed_read_csv(csv_bytes(*rows), max_rows=5), today=TODAY)
    assert [(error.row, error.field) for error in result.errors] == [(None, "file")]
    assert "more than 5 rows" in result.errors[0].message


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (HEADER + ",shoe_size", "columns this format does not have"),
        ("source_id,given_names", "missing the columns: family_name"),
        ("given_names,family_name", "missing the columns: source_id"),
        ("source_id,given_names,family_name,sex,sex", "more than once: sex"),
    ],
)
def test_it_refuses_unknown_or_missing_header_columns(header: str, words: str) -> None:
    result = checked(csv_bytes(a_row(), header=header))
    assert result.errors and all(error.row == 1 for error in result.errors)
    assert any(words in error.message for error in result.errors), result.errors


def test_it_accepts_a_header_without_the_optional_columns() -> None:
    result = checked(csv_bytes(a_row(), header="source_id,given_names,family_name"))
    assert result.errors == []
    assert result.records[0].date_of_birth is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (HEADER.encode() + b"\r\n", "no rows"),
        (HEADER.encode() + b'\r\nA,"Amy,Smith\r\n', "not a readable CSV"),
    ],
)
def test_it_refuses_an_empty_or_broken_file(data: bytes, words: str) -> None:
    result = checked(data)
    assert [error.field for error in result.errors] == ["file"]
    assert words in result.errors[0].message


def test_it_refuses_a_row_with_more_values_than_columns() -> None:
    data = csv_bytes(a_row()) + b"PN-2,Amy,Smith,,,,,,,,,too,many\r\n"
    assert errors_of(data) == [(3, "file")]


def test_it_counts_blank_lines_in_row_numbers_as_a_spreadsheet_does() -> None:
    second = csv_bytes(a_row(source_id="B", sex="Q")).split(b"\r\n")[1]
    data = csv_bytes(a_row(source_id="A")) + b"\r\n" + second + b"\r\n"
    assert errors_of(data) == [(4, "sex")]


def test_it_keeps_invalid_identifiers_and_counts_them_as_warnings() -> None:
    result = checked(
        csv_bytes(
            a_row(source_id="A", nhs_number="1234567890", upn="NOTAUPN", postcode="ZZ"),
            a_row(source_id="B", nhs_number="123"),
            a_row(source_id="C"),
        )
    )
    assert result.errors == []
    assert result.warnings == {"nhs_number": 2, "upn": 1, "postcode": 1}
    assert result.records[0].nhs_number == "1234567890"


def test_it_numbers_api_records_from_zero() -> None:
    result = feed_check(
        feed_from_records([a_row(source_id="A"), a_row(source_id="B", sex="Q")]), today=TODAY
    )
    assert [(error.row, error.field) for error in result.errors] == [(1, "sex")]


# --- Applying an import -------------------------------------------------------------


@pytest.fixture
def police(agencies: dict[str, Agency]) -> Agency:
    return agencies["police"]


@pytest.fixture
def police_researcher(personas: dict[str, User]) -> User:
    return personas["police_researcher"]


@pytest.fixture
def health_researcher(make_user: Callable[..., User]) -> User:
    return make_user("health_researcher", Role.AGENCY_RESEARCHER, "health")


def apply(
    actor_user: User, agency: Agency, mode: str, *rows: dict[str, str], **kwargs: Any
) -> IndexImport:
    return index_import_apply(
        actor=Actor(user=actor_user),
        agency=agency,
        mode=mode,
        rows=feed_read_csv(csv_bytes(*rows)),
        file_name="feed.csv",
        today=TODAY,
        **kwargs,
    )


def police_index(police: Agency) -> dict[str, IndexedPerson]:
    return {
        record.source_id: record
        for record in IndexedPerson.objects.filter(source=IndexSource.AGENCY, agency=police)
    }


def test_it_adds_every_record_with_standardised_fields(
    police_researcher: User, police: Agency
) -> None:
    result = apply(
        police_researcher,
        police,
        "replace",
        a_row(source_id="A", given_names="Bill", family_name="Smith-Jones"),
        a_row(source_id="B", nhs_number="1234567890"),
    )
    assert (result.applied, result.added, result.updated, result.removed) == (True, 2, 0, 0)
    assert result.errors == [] and result.rows == 2
    assert import_warnings(result) == {"nhs_number": 1}
    index = police_index(police)
    assert index["A"].given_forms[:2] == ["bill", "william"]
    assert index["A"].given_sound == "B400"
    assert index["A"].family_parts == ["smith", "jones"]
    assert index["A"].nhs_valid == VALID_NHS_NUMBER
    assert index["A"].birth_year == 2018 and index["A"].postcode_std == "DC1 4AB"
    # An invalid NHS number is kept as given and not used for matching.
    assert (index["B"].nhs_number, index["B"].nhs_valid) == ("1234567890", "")
    assert index["A"].involvement.startswith("3 domestic abuse")


def test_it_changes_nothing_if_one_row_is_bad(police_researcher: User, police: Agency) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="A"), a_row(source_id="B"))
    before = {sid: (r.pk, r.family_name) for sid, r in police_index(police).items()}

    result = apply(
        police_researcher,
        police,
        "replace",
        a_row(source_id="A", family_name="Jones"),
        a_row(source_id="C"),
        a_row(source_id="D", date_of_birth="2030-01-01"),
    )

    assert result.applied is False
    assert (result.added, result.updated, result.removed) == (0, 0, 0)
    assert result.errors == [
        {"row": 4, "field": "date_of_birth", "message": "The date of birth is in the future"}
    ]
    assert {sid: (r.pk, r.family_name) for sid, r in police_index(police).items()} == before
    # Saved so people can see why.
    assert IndexImport.objects.get(pk=result.pk).errors == result.errors


def test_replace_makes_the_index_exactly_the_file(police_researcher: User, police: Agency) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="A"), a_row(source_id="B"))
    kept_pk = police_index(police)["A"].pk

    result = apply(
        police_researcher,
        police,
        "replace",
        a_row(source_id="A", family_name="Smyth"),
        a_row(source_id="C"),
    )

    assert (result.added, result.updated, result.removed) == (1, 1, 1)
    index = police_index(police)
    assert set(index) == {"A", "C"}
    assert index["A"].pk == kept_pk
    assert (index["A"].family_name, index["A"].family_std) == ("Smyth", "smyth")
    assert index["A"].family_parts == ["smyth"] and index["A"].given_forms == ["amy", "amelia"]


def test_delta_adds_and_updates_only(police_researcher: User, police: Agency) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="A"), a_row(source_id="B"))

    result = apply(
        police_researcher, police, "delta", a_row(source_id="B", sex="M"), a_row(source_id="C")
    )

    assert (result.added, result.updated, result.removed) == (1, 1, 0)
    index = police_index(police)
    assert set(index) == {"A", "B", "C"}
    assert index["B"].sex == "M"


def test_re_running_the_same_file_changes_nothing(police_researcher: User, police: Agency) -> None:
    rows = [a_row(source_id=str(n), date_of_birth=f"0{n}/01/2015") for n in range(1, 6)]
    apply(police_researcher, police, "replace", *rows)
    before = {sid: (r.pk, r.imported_at) for sid, r in police_index(police).items()}

    for mode in ("replace", "delta"):
        again = apply(police_researcher, police, mode, *rows)
        assert (again.applied, again.added, again.updated, again.removed) == (True, 0, 0, 0)
    assert {sid: (r.pk, r.imported_at) for sid, r in police_index(police).items()} == before


def test_it_leaves_other_agencies_and_contacts_alone(
    police_researcher: User,
    health_researcher: User,
    police: Agency,
    agencies: dict[str, Agency],
    school_contact: Any,
) -> None:
    apply(health_researcher, agencies["health"], "replace", a_row(source_id="A"))
    contact_people = IndexedPerson.objects.filter(source=IndexSource.CONTACT).count()

    apply(police_researcher, police, "replace", a_row(source_id="Z"))

    assert IndexedPerson.objects.filter(agency=agencies["health"]).count() == 1
    assert IndexedPerson.objects.filter(source=IndexSource.CONTACT).count() == contact_people > 0


def test_removing_a_record_removes_its_links_and_says_how_many(
    police_researcher: User, police: Agency, school_contact: Any
) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="A"), a_row(source_id="B"))
    PersonLink.objects.create(
        contact_person=school_contact.people.first(),
        candidate=police_index(police)["B"],
        probability=0.9,
        state=LinkState.SUGGESTED,
    )

    result = apply(police_researcher, police, "replace", a_row(source_id="A"))

    assert result.removed == 1 and not PersonLink.objects.exists()
    event = AuditEvent.objects.get(object_type="person_link", action="delete")
    assert event.detail == {"index_import_id": result.pk, "links_removed": 1}


def test_it_audits_the_import_with_counts_only(police_researcher: User, police: Agency) -> None:
    result = apply(police_researcher, police, "replace", a_row(source_id="A", nhs_number="1"))
    event = AuditEvent.objects.get(object_type="index_import")
    assert event.actor_user == police_researcher
    assert event.object_id == str(result.pk)
    assert event.detail == {
        "agency_id": police.pk,
        "mode": "replace",
        "rows": 1,
        "applied": True,
        "errors": 0,
        "added": 1,
        "updated": 0,
        "removed": 0,
        "withdrawn": 0,
        "warnings": {"nhs_number": 1},
    }
    assert "Amy" not in str(event.detail) and "Smith" not in str(event.detail)


def test_a_failed_import_is_audited_too(police_researcher: User, police: Agency) -> None:
    result = apply(police_researcher, police, "delta", a_row(sex="Q"))
    event = AuditEvent.objects.get(object_type="index_import")
    assert event.object_id == str(result.pk)
    assert (event.detail["applied"], event.detail["errors"]) == (False, 1)


def test_another_agencys_researcher_cannot_import_into_this_agency(
    health_researcher: User, police: Agency
) -> None:
    with pytest.raises(PermissionDenied):
        apply(health_researcher, police, "replace", a_row())
    assert not IndexImport.objects.exists()
    assert not IndexedPerson.objects.filter(agency=police).exists()


@pytest.mark.parametrize("persona", ["screener", "manager", "analyst", "school_referrer"])
def test_people_who_are_not_researchers_cannot_import(
    personas: dict[str, User], agencies: dict[str, Agency], persona: str
) -> None:
    user = personas[persona]
    with pytest.raises(PermissionDenied):
        apply(user, user.agency or agencies["csc"], "replace", a_row())


def test_an_administrator_may_import_any_agencys_feed(
    personas: dict[str, User], police: Agency
) -> None:
    result = apply(personas["administrator"], police, "replace", a_row())
    assert result.applied and result.uploaded_by == personas["administrator"]


def test_an_api_token_imports_only_its_own_agencys_feed(
    agencies: dict[str, Agency], police: Agency
) -> None:
    token, _ = api_token_issue(agency=agencies["health"], name="Health system", issued_by="t")
    rows = feed_read_csv(csv_bytes(a_row()))
    with pytest.raises(PermissionDenied):
        index_import_apply(actor=Actor(token=token), agency=police, mode="delta", rows=rows)
    own = index_import_apply(
        actor=Actor(token=token), agency=agencies["health"], mode="delta", rows=rows
    )
    assert own.applied and own.uploaded_by_token == token and own.uploaded_by is None


def test_a_schools_token_cannot_import(agencies: dict[str, Agency]) -> None:
    token, _ = api_token_issue(agency=agencies["riverside"], name="School MIS", issued_by="t")
    with pytest.raises(PermissionDenied):
        index_import_apply(
            actor=Actor(token=token),
            agency=agencies["riverside"],
            mode="delta",
            rows=FeedRows(rows=[(0, a_row())]),
        )


def big_feed(count: int, *, prefix: str = "PN-") -> bytes:
    given = ["Amy", "Liam", "Noah", "Olivia", "Bill", "Peggy", "Zoë", "Mohammed"]
    family = ["Smith", "O'Brien", "Nowak", "Smith-Jones", "Patel", "Khan", "Jones", "Brown"]
    lines = [HEADER]
    for n in range(count):
        lines.append(
            f"{prefix}{n},{given[n % 8]},{family[(n // 8) % 8]},,"
            f"{1950 + n % 70}-{1 + n % 12:02d}-{1 + n % 28:02d},{'MFU'[n % 3]},"
            f'"{n} High Street, Eastbridge",DC{n % 9 + 1} {n % 10}AB,,,"Known: ref {n}"'
        )
    return ("\n".join(lines) + "\n").encode()


def test_it_applies_ten_thousand_rows_in_a_few_seconds(
    police_researcher: User, police: Agency
) -> None:
    data = big_feed(10_000)
    started = time.perf_counter()
    first = index_import_apply(
        actor=Actor(user=police_researcher),
        agency=police,
        mode="replace",
        rows=feed_read_csv(data),
        today=TODAY,
    )
    took = time.perf_counter() - started
    assert (first.applied, first.added) == (True, 10_000)
    assert took < 10, f"{took:.1f}s"

    started = time.perf_counter()
    again = index_import_apply(
        actor=Actor(user=police_researcher),
        agency=police,
        mode="replace",
        rows=feed_read_csv(data),
        today=TODAY,
    )
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert time.perf_counter() - started < 10


# --- Warnings kept with the import ---------------------------------------------------


def test_it_lists_each_warning_with_its_row_and_field_but_not_the_value() -> None:
    result = checked(
        csv_bytes(
            a_row(source_id="A", nhs_number="1234567890", upn="NOTAUPN"),
            a_row(source_id="B"),
            a_row(source_id="C", postcode="ZZ9"),
        )
    )
    assert [(w.row, w.field) for w in result.row_warnings] == [
        (2, "nhs_number"),
        (2, "upn"),
        (4, "postcode"),
    ]
    for warning in result.row_warnings:
        assert "kept as given, not used for matching" in warning.message
        assert not any(value in warning.message for value in ("1234567890", "NOTAUPN", "ZZ9"))


def test_it_lists_only_the_first_warnings_and_counts_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("openmash.linkage.feeds.WARNINGS_KEPT", 2)
    result = checked(csv_bytes(*(a_row(source_id=str(n), upn="X") for n in range(5))))
    assert [w.row for w in result.row_warnings] == [2, 3]
    assert result.warnings == {"upn": 5}


def test_it_stores_the_warnings_on_the_import(police_researcher: User, police: Agency) -> None:
    result = apply(
        police_researcher,
        police,
        "replace",
        a_row(source_id="A", nhs_number="1234567890"),
        a_row(source_id="B", postcode="ZZ9"),
    )

    stored = IndexImport.objects.get(pk=result.pk)
    assert stored.warnings == [
        {
            "row": 2,
            "field": "nhs_number",
            "message": "Not a valid NHS number (10 digits with a correct check digit): "
            "kept as given, not used for matching",
        },
        {
            "row": 3,
            "field": "postcode",
            "message": "Not a valid UK postcode: kept as given, not used for matching",
        },
    ]
    # Read back, not only as just applied.
    assert import_warnings(stored) == {"nhs_number": 1, "postcode": 1}


def test_a_failed_import_keeps_its_warnings_too(police_researcher: User, police: Agency) -> None:
    result = apply(
        police_researcher, police, "replace", a_row(source_id="A", upn="X"), a_row(sex="Q")
    )
    stored = IndexImport.objects.get(pk=result.pk)
    assert stored.applied is False
    assert [(w["row"], w["field"]) for w in stored.warnings] == [(2, "upn")]
    assert stored.warning_counts == {"upn": 1}
