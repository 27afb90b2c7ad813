"""The three extracts on the month in tests/extracts/conftest.py, worked out by hand."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.core.period import Period
from openmash.enquiries.services.screening import contact_pass_to_allocated_worker
from openmash.extracts.annex_a import annex_a_list_1, annex_a_list_3
from openmash.extracts.cin_census import cin_census_referrals
from tests.extracts.conftest import OCTOBER, Hub, at, decision, referral, valid_nhs_number
from tests.factories import a_child


def test_list_1_has_every_child_in_every_contact_received_in_the_period(october: Hub) -> None:
    amy, ben, bella = october.child("A0").pk, october.child("B").pk, october.child("B", 1).pk
    cara, dan, eve = october.child("C").pk, october.child("D").pk, october.child("E").pk

    extracted = annex_a_list_1(OCTOBER)

    assert extracted.table.headers == [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of Contact",
        "Contact Source",
    ]
    assert list(extracted.table.rows) == [
        # Amelia is Amy (the same NHS number): Amy's first record's id. Her mother is no row.
        (amy, "Female", "NOBT", date(2016, 4, 2), 10, date(2026, 10, 5), "6"),
        # Ben and the sister named with him.
        (ben, "Male", "NOBT", date(2019, 7, 20), 7, date(2026, 10, 6), "2A"),
        (bella, "Female", "NOBT", date(2021, 1, 9), 5, date(2026, 10, 6), "2A"),
        (cara, "Female", "NOBT", date(2012, 11, 30), 13, date(2026, 10, 8), "3A"),
        # Closed at screening with no further action: still a contact.
        (dan, "Male", "NOBT", date(2015, 2, 14), 11, date(2026, 10, 12), "2A"),
        # Still open at the end of the period; the age the referrer estimated.
        (eve, "Female", "NOBT", None, 6, date(2026, 10, 30), "6"),
    ]
    assert extracted.contact_ids == {october.pk(name) for name in ("A2", "B", "C", "D", "E")}


def test_list_1_counts_a_contact_by_its_day_in_the_uk(october: Hub) -> None:
    # F arrived at 23:30 on 30 September, UK time (22:30 UTC): September's, not October's.
    september = annex_a_list_1(Period(date(2026, 9, 30), date(2026, 9, 30)))

    assert [row[5] for row in september.table.rows] == [date(2026, 9, 30)]
    assert september.contact_ids == {october.pk("F")}


def test_list_3_has_every_child_in_every_referral_made_in_the_period(october: Hub) -> None:
    amy, ben, bella = october.child("A0").pk, october.child("B").pk, october.child("B", 1).pk
    cara = october.child("C").pk

    extracted = annex_a_list_3(OCTOBER)

    assert extracted.table.headers == [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age of Child (Years)",
        "Date of referral",
        "Referral Source",
        "Referral NFA?",
        "Number of Referrals in Last 12 Months",
        "Allocated Team",
        "Allocated Worker",
    ]
    team = "Eastbridge assessment team"
    assert list(extracted.table.rows) == [
        # Two earlier referrals; only March's is in the 12 months before.
        (amy, "Female", "NOBT", date(2016, 4, 2), 10, date(2026, 10, 5), "6", "No", 1, team,
         "Sam Patel"),
        # Early help amended to an assessment the next day: referred on the amendment's day.
        (ben, "Male", "NOBT", date(2019, 7, 20), 7, date(2026, 10, 7), "2A", "No", 0, team, ""),
        (bella, "Female", "NOBT", date(2021, 1, 9), 5, date(2026, 10, 7), "2A", "No", 0, team,
         ""),
        # Returned by social care and amended to no further action.
        (cara, "Female", "NOBT", date(2012, 11, 30), 13, date(2026, 10, 8), "3A", "Yes", 0, team,
         ""),
    ]  # fmt: skip
    # Closed at screening (D), and decided only after the period (E): not referrals in it.
    assert extracted.contact_ids == {october.pk(name) for name in ("A2", "B", "C")}


def test_list_3_counts_referrals_in_the_year_before_each_one(october: Hub) -> None:
    march = annex_a_list_3(Period(date(2026, 3, 1), date(2026, 3, 31)))
    november = annex_a_list_3(Period(date(2026, 11, 1), date(2026, 11, 30)))

    # A1 (10 March 2026) follows A0 (3 October 2025).
    assert [(row[0], row[5], row[8]) for row in march.table.rows] == [
        (october.child("A0").pk, date(2026, 3, 10), 1)
    ]
    # Eve's contact, open at the end of October, is November's referral.
    assert [(row[0], row[5], row[7]) for row in november.table.rows] == [
        (october.child("E").pk, date(2026, 11, 2), "No")
    ]


def test_cin_census_items_come_from_the_decision_in_force(october: Hub) -> None:
    amy, ben, bella = october.child("A0").pk, october.child("B").pk, october.child("B", 1).pk
    cara = october.child("C").pk

    extracted = cin_census_referrals(OCTOBER)

    assert extracted.table.headers == [
        "LAchildID",
        "CINreferralDate",
        "ReferralSource",
        "ReferralNFA",
        "PrimaryNeedCode",
        "AssessmentFactors",
        "Ethnicity",
    ]
    assert list(extracted.table.rows) == [
        (amy, date(2026, 10, 5), "6", 0, "N1", "16A", "NOBT"),
        # The amendment's need and factors, not the early help decision's.
        (ben, date(2026, 10, 7), "2A", 0, "N5", "3B,4B", "NOBT"),
        (bella, date(2026, 10, 7), "2A", 0, "N5", "3B,4B", "NOBT"),
        (cara, date(2026, 10, 8), "3A", 1, "N9", "21", "NOBT"),
    ]


def test_an_amendment_within_social_care_keeps_the_referral_date_and_flag(october: Hub) -> None:
    # A2's strategy discussion becomes an assessment a week later: still a referral of 5
    # October, with no further action not set, and the amendment's need.
    october.amend("A2", decision("assessment_s17", need="N3"), at(2026, 10, 12, 9))

    rows = cin_census_referrals(OCTOBER).table.rows

    assert rows[0] == (october.child("A0").pk, date(2026, 10, 5), "6", 0, "N3", "16A", "NOBT")


def test_the_child_id_is_the_same_in_every_extract_and_period(october: Hub) -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))

    # Amy's row comes first in each: A2 in October, A1 in March.
    first_ids = {
        build(period).table.rows[0][0]
        for period in (OCTOBER, march)
        for build in (annex_a_list_1, annex_a_list_3, cin_census_referrals)
    }

    assert first_ids == {october.child("A0").pk}


def test_an_empty_period_gives_headers_and_no_rows(october: Hub) -> None:
    empty = Period(date(2026, 1, 1), date(2026, 1, 31))

    for build in (annex_a_list_1, annex_a_list_3, cin_census_referrals):
        extracted = build(empty)
        assert extracted.table.rows == [] and extracted.contact_ids == frozenset()


def _families(hub: Hub, first: int, count: int) -> None:
    """`count` more families, each a child and a sibling with a referral before October
    and one in it (the child known by NHS number, the sibling by name and birth date), and
    a contact closed at screening."""
    for number in range(first, first + count):
        child = a_child(
            given_names=f"Child{number}",
            family_name=f"Family{number}",
            date_of_birth=date(2015, 1, 1 + number),
            nhs_number=valid_nhs_number(100 + 10 * number),
        )
        sibling = a_child(
            given_names=f"Sibling{number}",
            family_name=f"Family{number}",
            date_of_birth=date(2018, 1, 1 + number),
            nhs_number="",
        )
        referral(hub, f"early{number}", at(2026, 6, 1 + number), "2A", [child, sibling])
        referral(hub, f"now{number}", at(2026, 10, 1 + number), "6", [child, sibling])
        hub.receive(f"closed{number}", at(2026, 10, 20 + number), "3A", [child])
        hub.close_at_screening(f"closed{number}", at(2026, 10, 20 + number, 10))


def test_the_number_of_queries_does_not_grow_with_the_rows(hub: Hub) -> None:
    builds = (annex_a_list_1, annex_a_list_3, cin_census_referrals)
    _families(hub, 0, 1)
    counts = []
    rows = []
    for build in builds:
        with CaptureQueriesContext(connection) as queries:
            rows.append(len(build(OCTOBER).table.rows))
        counts.append(len(queries))

    _families(hub, 1, 4)
    more_counts = []
    more_rows = []
    for build in builds:
        with CaptureQueriesContext(connection) as queries:
            more_rows.append(len(build(OCTOBER).table.rows))
        more_counts.append(len(queries))

    assert rows == [3, 2, 2] and more_rows == [15, 10, 10]
    assert more_counts == counts
    # 11: one more than before issue 11, for the identifier conflicts among the records.
    assert max(counts) <= 11, counts


def test_passing_a_contact_to_the_allocated_worker_is_not_a_referral(october: Hub) -> None:
    october.receive("open", at(2026, 10, 20, 9), "2A", [a_child(given_names="Gus", nhs_number="")])
    october.screen("open", at(2026, 10, 20, 9, 30))
    contact_pass_to_allocated_worker(
        actor=october.as_("screener"),
        contact_id=october.pk("open"),
        allocated_worker="Kim Lee",
        rationale="Gus has a social worker already.",
        now=at(2026, 10, 20, 10),
    )

    assert october.pk("open") in annex_a_list_1(OCTOBER).contact_ids
    assert october.pk("open") not in annex_a_list_3(OCTOBER).contact_ids
    assert october.pk("open") not in cin_census_referrals(OCTOBER).contact_ids
