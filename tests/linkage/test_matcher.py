"""The live matcher: candidates from the index, best first, explained in words."""

import json
import time
from datetime import date

import pytest
from django.db import connection

from openmash.accounts.models import User
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.linkage.comparisons import comparison_record_for_person
from openmash.linkage.index import standard_fields
from openmash.linkage.matcher import (
    Candidate,
    candidate_sql,
    current_model,
    match_person,
)
from openmash.linkage.models import IndexedPerson, IndexSource
from openmash.linkage.synthetic import synthetic_records
from openmash.linkage.training import DEFAULT_MODEL, model_save
from tests.factories import a_child, a_parent, a_submission

pytestmark = pytest.mark.django_db


def _index(**person: object) -> IndexedPerson:
    fields = {
        "given_names": "",
        "family_name": "",
        "other_names": "",
        "date_of_birth": None,
        "sex": "",
        "postcode": "",
        "nhs_number": "",
        "upn": "",
        **person,
    }
    return IndexedPerson.objects.create(
        source=IndexSource.AGENCY,
        **fields,
        **standard_fields(**fields),  # type: ignore[arg-type]
    )


@pytest.fixture
def household() -> dict[str, IndexedPerson]:
    """A family: Jayden and his twin sister Amira, their brother Tyler, their mother."""
    home = {"family_name": "Smith", "postcode": "LS6 2AB"}
    return {
        "jayden": _index(given_names="Jayden", date_of_birth=date(2015, 3, 7), sex="M", **home),
        "amira": _index(given_names="Amira", date_of_birth=date(2015, 3, 7), sex="F", **home),
        "tyler": _index(given_names="Tyler", date_of_birth=date(2012, 11, 20), sex="M", **home),
        "kerry": _index(given_names="Kerry", date_of_birth=date(1990, 5, 2), sex="F", **home),
        "other": _index(
            given_names="Jayden",
            family_name="Brown",
            date_of_birth=date(2015, 7, 3),
            sex="M",
            postcode="M1 1AA",
        ),
    }


def test_it_finds_the_child_with_a_misspelt_surname_and_swapped_birth_date_first(
    household: dict[str, IndexedPerson],
) -> None:
    candidates = match_person(
        given_names="Jayden",
        family_name="Smyth",
        date_of_birth=date(2015, 7, 3),
        sex="M",
        postcode="LS6 2AB",
    )
    assert isinstance(candidates[0], Candidate)
    assert candidates[0].indexed_person_id == household["jayden"].pk
    words = "; ".join(candidates[0].explanation)
    assert "same first name" in words
    assert "surname similar: Smyth/Smith" in words
    assert "day and month swapped: 3 July 2015 and 7 March 2015" in words
    assert "same postcode" in words
    # His twin sister shares his surname, address and birthday: never a likely match.
    twin = [c for c in candidates if c.indexed_person_id == household["amira"].pk]
    assert twin and twin[0].probability < 0.5
    assert candidates[0].probability > 0.9
    assert candidates == sorted(candidates, key=lambda c: -c.match_weight)


def test_it_scores_a_twin_as_a_non_match(household: dict[str, IndexedPerson]) -> None:
    candidates = match_person(
        given_names="Amira",
        family_name="Smith",
        date_of_birth=date(2015, 3, 7),
        sex="F",
        postcode="LS6 2AB",
    )
    by_id = {c.indexed_person_id: c for c in candidates}
    assert candidates[0].indexed_person_id == household["amira"].pk
    assert by_id[household["jayden"].pk].probability < 0.5
    assert "different first name: Amira/Jayden" in by_id[household["jayden"].pk].explanation


def test_it_finds_a_child_recorded_surname_first(household: dict[str, IndexedPerson]) -> None:
    candidates = match_person(
        given_names="Smith",
        family_name="Jayden",
        date_of_birth=date(2015, 3, 7),
        sex="M",
        postcode="LS6 2AB",
    )
    assert candidates[0].indexed_person_id == household["jayden"].pk
    assert candidates[0].probability > 0.99
    assert "first name and surname the other way round: Smith/Jayden" in candidates[0].explanation
    # Written surname first, Jayden's record still does not make his twin sister likely.
    twin = [c for c in candidates if c.indexed_person_id == household["amira"].pk]
    assert twin and twin[0].probability < 0.5


def test_it_takes_a_shortened_first_name_as_a_lesser_agreement(
    household: dict[str, IndexedPerson],
) -> None:
    candidates = match_person(
        given_names="Jay",
        family_name="Smith",
        date_of_birth=date(2015, 3, 7),
        sex="M",
        postcode="LS6 2AB",
    )
    assert candidates[0].indexed_person_id == household["jayden"].pk
    assert "first name shortened: Jay/Jayden" in candidates[0].explanation


def test_it_finds_by_nhs_number_alone() -> None:
    record = _index(given_names="Alex", family_name="Nowak", nhs_number="943 476 5919")
    candidates = match_person(given_names="Alexander", family_name="Novak", nhs_number="9434765919")
    assert candidates[0].indexed_person_id == record.pk
    assert "same NHS number" in candidates[0].explanation
    assert "first name a known short form: Alexander/Alex" in candidates[0].explanation


def test_it_returns_nothing_for_nobody_and_at_most_the_limit(
    household: dict[str, IndexedPerson],
) -> None:
    assert match_person(given_names="", family_name="") == []
    assert (
        len(
            match_person(
                given_names="Jayden", family_name="Smith", date_of_birth=date(2015, 3, 7), limit=1
            )
        )
        == 1
    )


def test_it_finds_candidates_in_one_query(
    household: dict[str, IndexedPerson], django_assert_max_num_queries: object
) -> None:
    current_model()
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        match_person(
            given_names="Jayden",
            family_name="Smith",
            date_of_birth=date(2015, 3, 7),
            nhs_number="9434765919",
            upn="A801200001001",
        )


def test_it_reads_the_current_trained_model_and_notices_a_new_one(
    settings: object, tmp_path: object
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    assert current_model().version == "default"
    model = json.loads(DEFAULT_MODEL.read_text())
    model["probability_two_random_records_match"] = 0.001
    path = model_save(model, tmp_path / "match-models")  # type: ignore[operator]
    assert current_model().version == path.stem
    assert current_model().probability_two_random_records_match == 0.001


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")
def test_its_candidate_search_uses_indexes_on_postgresql() -> None:
    people = synthetic_records(3000, seed=9)
    IndexedPerson.objects.bulk_create(
        IndexedPerson(
            source=IndexSource.AGENCY,
            source_id=str(person["record_id"]),
            **{
                k: v
                for k, v in person.items()
                if k not in ("record_id", "truth_id", "household_id")
            },
            **standard_fields(
                **{
                    k: v
                    for k, v in person.items()
                    if k not in ("record_id", "truth_id", "household_id")
                }
            ),  # type: ignore[arg-type]
        )
        for person in people
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE linkage_indexedperson")
    person = next(p for p in people if p["nhs_number"] and p["upn"] and p["date_of_birth"])
    record = comparison_record_for_person(
        unique_id=0,
        **{k: v for k, v in person.items() if k not in ("record_id", "truth_id", "household_id")},
    )  # type: ignore[arg-type]
    statement = candidate_sql(record, date_of_birth=person["date_of_birth"])  # type: ignore[arg-type]
    assert statement is not None
    sql, params = statement
    assert sql.count("LIMIT") >= 5  # one capped lookup per blocking key
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert plan.count("Index Scan") >= 5, plan  # Index Scan or Bitmap Index Scan
    assert "Seq Scan on linkage_indexedperson" not in plan, plan
    started = time.perf_counter()
    match_person(
        **{k: v for k, v in person.items() if k not in ("record_id", "truth_id", "household_id")}
    )  # type: ignore[arg-type]
    assert time.perf_counter() - started < 0.5


def test_it_finds_the_child_of_an_earlier_contact_but_not_in_the_contact_itself(
    school_referrer: User,
) -> None:
    born = date(2016, 4, 9)
    earlier, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(people=[a_child(date_of_birth=born, nhs_number=""), a_parent()]),
    )
    new, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[a_child(family_name="Smyth", date_of_birth=date(2016, 9, 4), nhs_number="")]
        ),
    )
    child = new.people.get()
    candidates = match_person(
        given_names=child.given_names,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        sex=child.sex,
        postcode=child.postcode,
        exclude_contact_id=new.pk,
    )
    earlier_child = IndexedPerson.objects.get(
        contact_person__contact=earlier, contact_person__given_names="Amy"
    )
    assert candidates[0].indexed_person_id == earlier_child.pk
    assert candidates[0].probability > 0.9
    assert child.index_entry.pk not in {c.indexed_person_id for c in candidates}


def test_it_finds_a_child_whose_date_of_birth_is_missing_and_first_name_mistyped() -> None:
    # No key needed the date of birth to be missing before: this pair was never scored.
    child = _index(
        given_names="Isabella",
        family_name="Okafor",
        date_of_birth=date(2016, 4, 2),
        postcode="LS6 2AB",
    )
    candidates = match_person(given_names="Isabela", family_name="Okafor", postcode="LS6 4QT")
    assert [c.indexed_person_id for c in candidates] == [child.pk]


def test_it_finds_a_child_whose_birth_year_is_one_out_with_a_mistyped_surname() -> None:
    child = _index(
        given_names="Jayden",
        family_name="Harrison",
        date_of_birth=date(2015, 3, 7),
        postcode="LS6 2AB",
    )
    candidates = match_person(
        given_names="Jaden", family_name="Harison", date_of_birth=date(2014, 3, 8)
    )
    assert [c.indexed_person_id for c in candidates] == [child.pk]


def test_it_finds_a_child_whose_surname_changed_at_the_same_address() -> None:
    child = _index(given_names="Maya", family_name="Okafor", postcode="LS6 2AB")
    candidates = match_person(given_names="Maya", family_name="Mensah", postcode="LS6 2AB")
    assert [c.indexed_person_id for c in candidates] == [child.pk]


def test_a_common_name_cannot_flood_the_candidates(settings: object) -> None:
    from openmash.linkage import matcher

    crowd = [
        _index(given_names="Jack", family_name="Smith", date_of_birth=date(2015, 1, 1 + n % 28))
        for n in range(12)
    ]
    original = matcher.CANDIDATES_PER_KEY
    matcher.CANDIDATES_PER_KEY = 5
    try:
        record = comparison_record_for_person(
            unique_id=0, given_names="Jack", family_name="Smith", date_of_birth=date(2015, 1, 1)
        )
        rows = matcher.candidate_rows(record, date_of_birth=date(2015, 1, 1))
    finally:
        matcher.CANDIDATES_PER_KEY = original
    # Each key gives at most five rows, the newest first; the exact date still finds
    # the first of them through its own key.
    ids = {row["id"] for row in rows}
    assert crowd[0].pk in ids
    assert {person.pk for person in crowd[-5:]} <= ids
    assert len(ids) <= 5 * 4


def test_it_finds_a_child_whose_birth_year_has_a_digit_mistyped() -> None:
    child = _index(
        given_names="Toby",
        family_name="James",
        date_of_birth=date(1988, 6, 23),
        postcode="LS6 2AB",
    )
    candidates = match_person(
        given_names="Toby", family_name="Jnmes", date_of_birth=date(1982, 6, 23)
    )
    assert [c.indexed_person_id for c in candidates] == [child.pk]


def test_a_query_with_a_date_of_birth_meets_by_surname_sound_only_records_without_one() -> None:
    record = comparison_record_for_person(
        unique_id=0, given_names="Jack", family_name="Smith", date_of_birth=date(2015, 1, 1)
    )
    statement = candidate_sql(record, date_of_birth=date(2015, 1, 1))
    assert statement is not None
    assert "given_sound < %s AND date_of_birth IS NULL" in statement[0]
    without = comparison_record_for_person(unique_id=0, given_names="Jack", family_name="Smith")
    statement = candidate_sql(without, date_of_birth=None)
    assert statement is not None and "date_of_birth IS NULL" not in statement[0]


def test_a_corrected_person_brings_every_blocking_key_with_them() -> None:
    from openmash.linkage.index import _FOLLOWS_THE_PERSON

    assert set(standard_fields(given_names="", family_name="")) <= set(_FOLLOWS_THE_PERSON)
