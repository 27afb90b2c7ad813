"""Annex A and the census items with the child's ethnicity from the contact (issue 13,
item 8), on the month in tests/extracts/conftest.py."""

from datetime import date

from openmash.enquiries.services.corrections import person_correct
from openmash.extracts.annex_a import annex_a_list_1, annex_a_list_3
from openmash.extracts.cin_census import cin_census_referrals
from tests.extracts.conftest import OCTOBER, Hub, at, referral
from tests.factories import a_child, a_parent


def test_list_1_gives_the_ethnicity_recorded_in_the_contact(october: Hub) -> None:
    october.receive(
        "G",
        at(2026, 10, 14, 9),
        "2A",
        [
            a_child(
                given_names="Gabriel",
                family_name="Okafor",
                date_of_birth=date(2017, 6, 1),
                nhs_number="",
                ethnicity="BAFR",
                disability="no",
                school_urn="100000",
                gp_practice="A12345",
            ),
            # A sibling whose ethnicity the referrer did not know.
            a_child(
                given_names="Grace",
                family_name="Okafor",
                date_of_birth=date(2020, 2, 3),
                nhs_number="",
                role="sibling",
            ),
            a_parent(ethnicity="BAFR"),
        ],
    )
    gabriel, grace = october.child("G").pk, october.child("G", 1).pk

    extracted = annex_a_list_1(OCTOBER)

    assert extracted.table.headers[2] == "Ethnicity"
    by_child = {row[0]: row for row in extracted.table.rows}
    assert by_child[gabriel] == (
        gabriel, "Female", "BAFR", date(2017, 6, 1), 9, date(2026, 10, 14),
        "2A",
    )  # fmt: skip
    assert by_child[grace][2] == "NOBT"
    # Everyone else in the month: not obtained, as before.
    assert {row[2] for child, row in by_child.items() if child not in (gabriel, grace)} == {"NOBT"}


def test_list_1_follows_an_ethnicity_corrected_at_screening(october: Hub) -> None:
    eve = october.child("E")

    person_correct(
        actor=october.as_("screener"),
        person_id=eve.pk,
        changes={"ethnicity": "WROM"},
        reason="Eve's mother told the screener on the phone.",
        now=at(2026, 10, 30, 17),
    )

    rows = {row[0]: row for row in annex_a_list_1(OCTOBER).table.rows}
    assert rows[eve.pk][2] == "WROM"


def test_list_3_and_the_census_items_give_it_for_a_referral(october: Hub) -> None:
    child = a_child(
        given_names="Hui",
        family_name="Chen",
        date_of_birth=date(2014, 9, 9),
        nhs_number="",
        ethnicity="CHNE",
    )
    referral(october, "H", at(2026, 10, 15, 9), "3A", [child])
    hui = october.child("H").pk

    list_3 = {row[0]: row for row in annex_a_list_3(OCTOBER).table.rows}
    census = {row[0]: row for row in cin_census_referrals(OCTOBER).table.rows}

    assert list_3[hui][2] == "CHNE"
    assert census[hui][-1] == "CHNE"
    assert {row[2] for pk, row in list_3.items() if pk != hui} == {"NOBT"}
