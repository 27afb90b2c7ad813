"""Find a child (issue 11, item 3): who may search, what each finds (the fire wall),
validation, terms never in an address, every search and result audited, and a constant
number of queries however many results."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.contacts.submission import Address
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.forms.search import split_name
from openmash.enquiries.presenters.search import fit_text, probability_text
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from openmash.linkage.index import standard_fields
from openmash.linkage.models import AgencyIndexSettings, IndexedPerson, IndexSource
from openmash.linkage.search import IndexScope, SearchTerms, highest_probability, search_index
from tests.conftest import signed_in
from tests.factories import a_child, a_parent, a_submission

pytestmark = pytest.mark.django_db

SEARCH = reverse("enquiries:find-child")
ELLIE_BORN = date(2016, 4, 9)
ELLIE_NHS = "4010232137"


def _agency_record(agency: Agency, source_id: str, **person: Any) -> IndexedPerson:
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
        agency=agency,
        source_id=source_id,
        involvement="Known to the service since 2022",
        address=person.get("address", ""),
        **{key: value for key, value in fields.items() if key != "address"},
        **standard_fields(**{key: value for key, value in fields.items() if key != "address"}),
    )


@pytest.fixture
def ellie_contact(school_referrer: User) -> Contact:
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(
                    given_names="Ellie",
                    family_name="Harper",
                    date_of_birth=ELLIE_BORN,
                    nhs_number=ELLIE_NHS,
                    address=Address(line1="12 Mill Lane", town="Eastbridge", postcode="DC1 4AB"),
                ),
                a_parent(given_names="Dawn", family_name="Harper"),
            ]
        ),
    )
    return contact


@pytest.fixture
def ellie(ellie_contact: Contact) -> ContactPerson:
    return ellie_contact.people.get(role=PersonRole.SUBJECT_CHILD)


def _child_named(referrer: User, given_names: str, family_name: str) -> ContactPerson:
    """The subject child of a new contact from `referrer`, with no NHS number."""
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=a_submission(
            people=[a_child(given_names=given_names, family_name=family_name, nhs_number="")]
        ),
    )
    return contact.people.get(role=PersonRole.SUBJECT_CHILD)


def _search(client: Client, **fields: str) -> Any:
    data = {
        "name": "",
        "date_of_birth_day": "",
        "date_of_birth_month": "",
        "date_of_birth_year": "",
        "nhs_number": "",
        "upn": "",
        "postcode": "",
        "address": "",
        "reference": "",
        **fields,
    }
    return client.post(SEARCH, data)


def _results(client: Client, **fields: str) -> Any:
    posted = _search(client, **fields)
    assert posted.status_code == 303, posted.content.decode()[:2000]
    return client.get(posted["Location"])


def _born(day: date) -> dict[str, str]:
    return {
        "date_of_birth_day": str(day.day),
        "date_of_birth_month": str(day.month),
        "date_of_birth_year": str(day.year),
    }


# --- Who may search ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["screener", "manager", "police_researcher"])
def test_mash_staff_and_agency_researchers_may_search(
    personas: dict[str, User], persona: str
) -> None:
    page = signed_in(personas[persona]).get(SEARCH)
    assert page.status_code == 200
    assert "Find a child" in page.content.decode()
    assert f'href="{SEARCH}"' in page.content.decode()  # in the navigation


@pytest.mark.parametrize(
    "persona",
    ["early_help_coordinator", "school_referrer", "analyst", "auditor", "administrator", "no_role"],
)
def test_everyone_else_is_refused(personas: dict[str, User], persona: str) -> None:
    client = signed_in(personas[persona])
    assert client.get(SEARCH).status_code == 403
    assert _search(client, name="Ellie Harper").status_code == 403
    assert client.get(reverse("enquiries:find-child-results", args=["abc"])).status_code == 403
    assert f'href="{SEARCH}"' not in client.get(reverse("home:home")).content.decode()


def test_signed_out_is_sent_to_sign_in() -> None:
    response = Client().get(SEARCH)
    assert response.status_code == 302
    assert "sign-in" in response["Location"] or "login" in response["Location"]


# --- Validation ----------------------------------------------------------------------------


def test_nothing_typed_is_a_problem_shown_in_the_error_summary(screener: User) -> None:
    page = _search(signed_in(screener))
    assert page.status_code == 200
    text = page.content.decode()
    assert "There is a problem" in text
    assert "Enter at least one thing you know about the child" in text
    assert 'href="#id_name"' in text


def test_bad_fields_get_their_own_errors_and_keep_what_was_typed(screener: User) -> None:
    page = _search(
        signed_in(screener),
        name="Ellie Harper",
        nhs_number="123",
        postcode="nowhere",
        reference="abc",
        upn="X1",
        date_of_birth_day="31",
        date_of_birth_month="2",
        date_of_birth_year="2016",
    )
    assert page.status_code == 200
    text = page.content.decode()
    for message in (
        "Enter a real NHS number",
        "Enter a full postcode",
        "Enter a contact reference like MASH-2026-000123",
        "Enter a real unique pupil number",
        "Date of birth must be a real date",
    ):
        assert message in text
    assert 'value="Ellie Harper"' in text
    assert 'value="nowhere"' in text
    assert "govuk-input--error" in text


def test_a_date_of_birth_in_the_future_is_refused(screener: User) -> None:
    page = _search(signed_in(screener), **_born(date(2999, 1, 1)))
    assert "Date of birth must be today or in the past" in page.content.decode()


def test_names_are_split_in_either_form() -> None:
    assert split_name("Ellie May Harper") == ("Ellie May", "Harper")
    assert split_name("Harper, Ellie") == ("Ellie", "Harper")
    assert split_name("  harper ") == ("", "harper")


# --- Finding ---------------------------------------------------------------------------------


def test_a_misspelt_name_and_date_of_birth_find_the_child_with_a_link_to_the_chronology(
    screener: User, ellie: ContactPerson
) -> None:
    client = signed_in(screener)
    posted = _search(client, name="Elly Harpur", **_born(ELLIE_BORN))
    assert posted.status_code == 303
    location = posted["Location"]
    # The address holds an opaque id, never what was typed.
    for term in ("Elly", "Harpur", "2016", "ellie", "harper"):
        assert term.lower() not in location.lower()
    page = client.get(location)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Ellie Harper" in text
    assert ellie.contact.reference in text
    assert reverse("enquiries:child-chronology", args=[ellie.pk]) in text
    assert "same date of birth" in text
    # The search form shows what was typed.
    assert 'value="Elly Harpur"' in text
    # The parent is not a child: never a result.
    assert "Dawn" not in text


def test_a_name_typed_surname_first_scores_as_typed_the_usual_way(
    ellie: ContactPerson,
) -> None:
    """The page says either order will do: "Harper Ellie" is scored as Ellie Harper too,
    not as a child called Harper with a different surname."""
    scope = IndexScope(every_contact=True)

    def found(given: str, family: str) -> list[tuple[int, float | None]]:
        terms = SearchTerms(given_names=given, family_name=family, date_of_birth=ELLIE_BORN)
        return [
            (each.contact_person_id, each.probability) for each in search_index(terms, scope=scope)
        ]

    usual = found("Ellie", "Harper")
    surname_first = found("Harper", "Ellie")
    assert usual[0][0] == ellie.pk
    assert (usual[0][1] or 0) >= 0.5
    assert surname_first[0] == usual[0]


def test_an_nhs_number_finds_the_child(screener: User, ellie: ContactPerson) -> None:
    text = _results(signed_in(screener), nhs_number="401 023 2137").content.decode()
    assert reverse("enquiries:child-chronology", args=[ellie.pk]) in text
    assert "same NHS number" in text
    # An NHS number alone cannot make anyone a likely match (the matcher's prior): the
    # child with it is not called a "possible match", but said to fit what was typed.
    assert "Fits everything you typed" in text
    assert "Possible match" not in text


def _fits(text: str, person: ContactPerson) -> str:
    """The 'How close' cell of the person's row."""
    row = text.split(f'data-testid="person-{person.pk}"', 1)[1].split("</tr>", 1)[0]
    return row.rsplit('<td class="govuk-table__cell">', 1)[1]


def test_a_surname_alone_lists_the_children_by_how_much_of_it_they_fit(
    screener: User, school_referrer: User, ellie: ContactPerson
) -> None:
    """Typed alone, a surname cannot lift any record to the suggestion threshold however
    well it fits: every Harper, the child searched for too, read 'Unlikely match (1%)'.
    The page says the search cannot rank them, and each says how much of it it fits."""
    maya = _child_named(school_referrer, "Maya", "Harpur")
    text = _results(signed_in(screener), name="Harper").content.decode()
    assert 'id="too-little-to-rank"' in text
    assert "Fits everything you typed" in _fits(text, ellie)
    assert "Fits some of what you typed" in _fits(text, maya)
    assert "Unlikely match" not in text
    # The closer fit first.
    assert text.index(f"person-{ellie.pk}") < text.index(f"person-{maya.pk}")


def test_a_search_that_can_rank_shows_how_likely_each_result_is(
    screener: User, ellie: ContactPerson
) -> None:
    text = _results(signed_in(screener), name="Ellie Harper", **_born(ELLIE_BORN)).content.decode()
    assert 'id="too-little-to-rank"' not in text
    assert "Almost certain match" in _fits(text, ellie) or "likely match" in _fits(text, ellie)
    assert "Fits everything you typed" not in text


def test_the_highest_probability_is_what_a_record_agreeing_with_everything_typed_scores(
    ellie: ContactPerson,
) -> None:
    scope = IndexScope(every_contact=True)
    for terms in (
        SearchTerms(family_name="Harper"),
        SearchTerms(given_names="Ellie", family_name="Harper", date_of_birth=ELLIE_BORN),
        SearchTerms(nhs_number=ELLIE_NHS),
    ):
        highest = highest_probability(terms)
        found = search_index(terms, scope=scope)
        best = next(each for each in found if each.contact_person_id == ellie.pk)
        assert highest is not None
        assert best.probability == pytest.approx(highest)
    # Nothing the matcher compares typed: no probability at all.
    assert highest_probability(SearchTerms(address="12 mill")) is None
    # More typed, more to go on.
    assert (highest_probability(SearchTerms(family_name="Harper")) or 0) < (
        highest_probability(SearchTerms(family_name="Harper", date_of_birth=ELLIE_BORN)) or 0
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"postcode": "dc1 4ab"},
        {"address": "12 mill"},
        {"name": "Harp"},
        {"name": "Harper Ellie"},
        {"name": "Elie Harpr"},
    ],
    ids=["postcode", "address", "part of a surname", "names reversed", "misspelt name only"],
)
def test_other_ways_of_finding_the_child(
    screener: User, ellie: ContactPerson, fields: dict[str, str]
) -> None:
    text = _results(signed_in(screener), **fields).content.decode()
    assert reverse("enquiries:child-chronology", args=[ellie.pk]) in text


def test_a_nickname_finds_the_formal_name_without_a_date_of_birth(
    screener: User, school_referrer: User
) -> None:
    catherine = _child_named(school_referrer, "Catherine", "Okafor")
    text = _results(signed_in(screener), name="Kate Okafor").content.decode()
    assert reverse("enquiries:child-chronology", args=[catherine.pk]) in text


def test_a_contact_reference_finds_its_children_only(screener: User, ellie: ContactPerson) -> None:
    text = _results(signed_in(screener), reference=ellie.contact.reference.lower()).content.decode()
    assert reverse("enquiries:child-chronology", args=[ellie.pk]) in text
    assert "contact reference" in text
    assert "Dawn" not in text


def test_nobody_found_says_so(screener: User, ellie: ContactPerson) -> None:
    text = _results(signed_in(screener), postcode="DC9 9XY").content.decode()
    assert "No results" in text
    assert "Nobody found" in text


def test_agency_records_shared_with_the_mash_are_found_with_their_summary(
    screener: User, agencies: dict[str, Agency], ellie: ContactPerson
) -> None:
    _agency_record(
        agencies["health"],
        "H1",
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=ELLIE_BORN,
    )
    _agency_record(
        agencies["probation"],
        "P1",
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=ELLIE_BORN,
    )
    AgencyIndexSettings.objects.create(
        agency=agencies["probation"], visible_to_mash_screeners=False
    )
    text = _results(signed_in(screener), name="Ellie Harper", **_born(ELLIE_BORN)).content.decode()
    assert "Health index record" in text
    assert "Known to the service since 2022" in text
    assert "Probation Service index record" not in text


def test_a_record_its_agency_has_withdrawn_is_not_found(
    screener: User, agencies: dict[str, Agency]
) -> None:
    from django.utils import timezone

    record = _agency_record(
        agencies["health"],
        "W1",
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=ELLIE_BORN,
        postcode="DC1 4AB",
    )
    client = signed_in(screener)
    assert f"record-{record.pk}" in _results(client, postcode="DC1 4AB").content.decode()
    IndexedPerson.objects.filter(pk=record.pk).update(withdrawn_at=timezone.now())
    text = _results(client, name="Ellie Harper", postcode="DC1 4AB", **_born(ELLIE_BORN))
    assert f"record-{record.pk}" not in text.content.decode()


# --- The fire wall ---------------------------------------------------------------------------


def test_a_researcher_finds_only_their_agency_records_and_children_they_were_asked_about(
    personas: dict[str, User],
    agencies: dict[str, Agency],
    ellie: ContactPerson,
    screener: User,
) -> None:
    police_researcher = personas["police_researcher"]
    police_record = _agency_record(
        agencies["police"],
        "PN1",
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=ELLIE_BORN,
    )
    _agency_record(
        agencies["health"],
        "H1",
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=ELLIE_BORN,
    )
    client = signed_in(police_researcher)
    text = _results(client, name="Ellie Harper", **_born(ELLIE_BORN)).content.decode()
    assert f"record-{police_record.pk}" in text
    assert "Health index record" not in text
    # Not asked to check on Ellie's contact: her contact is not found.
    assert ellie.contact.reference not in text
    assert reverse("enquiries:child-chronology", args=[ellie.pk]) not in text

    # Once the police are asked to check, she is, with the chronology they may open.
    contact_take(actor=Actor(user=screener), contact_id=ellie.contact_id)
    contact_rate(
        actor=Actor(user=screener), contact_id=ellie.contact_id, rag="amber", rationale="Why."
    )
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=ellie.contact_id,
        agency_ids=[agencies["police"].pk],
    )
    text = _results(client, name="Ellie Harper", **_born(ELLIE_BORN)).content.decode()
    chronology = reverse("enquiries:child-chronology", args=[ellie.pk])
    assert chronology in text
    assert client.get(chronology).status_code == 200
    assert "Health index record" not in text


def test_a_researcher_of_another_agency_still_does_not_find_the_contact(
    make_user: Callable[..., User], ellie: ContactPerson
) -> None:
    from openmash.core.roles import Role

    health = make_user("health_researcher", Role.AGENCY_RESEARCHER, "health")
    text = _results(signed_in(health), nhs_number=ELLIE_NHS).content.decode()
    assert "No results" in text


# --- The audit log and the address ----------------------------------------------------------


def test_the_search_and_each_result_shown_are_audited_without_the_terms(
    screener: User, ellie: ContactPerson
) -> None:
    client = signed_in(screener)
    page = _results(client, name="Elly Harper", nhs_number=ELLIE_NHS)
    search_id = page.wsgi_request.path.rstrip("/").rsplit("/", 1)[-1]
    searched = AuditEvent.objects.get(action=AuditAction.SEARCH, object_type="child_search")
    assert searched.actor_user == screener
    assert searched.object_id == search_id
    assert searched.detail["fields"] == ["name", "nhs_number"]
    assert searched.detail["results"] == 1
    shown = AuditEvent.objects.get(action=AuditAction.LIST, object_type="person")
    assert shown.object_id == str(ellie.pk)
    assert shown.contact_id == ellie.contact_id
    assert shown.detail == {"via": "find_a_child", "search": search_id}
    logged = str(list(AuditEvent.objects.values_list("object_id", "detail")))
    for term in ("Elly", "Harper", ELLIE_NHS):
        assert term not in logged
    # Reloading runs and records the search again.
    client.get(page.wsgi_request.path)
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH).count() == 2


def test_a_search_id_is_the_users_own_and_only_for_a_while(
    screener: User, manager: User, ellie: ContactPerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(screener)
    location = _search(client, nhs_number=ELLIE_NHS)["Location"]
    # Another user's session does not hold it.
    other = signed_in(manager).get(location).content.decode()
    assert "That search has expired" in other
    assert "Ellie Harper" not in other
    # Nor does the user's own, after SEARCH_MINUTES.
    from openmash.core import kept_searches

    real = kept_searches.time.time
    monkeypatch.setattr(kept_searches.time, "time", lambda: real() + 31 * 60)
    assert "That search has expired" in client.get(location).content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.SEARCH).exists()


def test_the_form_is_only_ever_sent_by_post(screener: User) -> None:
    text = signed_in(screener).get(SEARCH).content.decode()
    assert 'method="post"' in text
    assert 'method="get"' not in text


# --- Queries ----------------------------------------------------------------------------------


def test_the_results_take_the_same_number_of_queries_however_many(
    screener: User, school_referrer: User, agencies: dict[str, Agency]
) -> None:
    def make(count: int, family: str) -> None:
        for n in range(count):
            contact_create(
                actor=Actor(user=school_referrer),
                submission=a_submission(
                    people=[
                        a_child(
                            given_names=f"Kid{chr(65 + n)}",
                            family_name=family,
                            date_of_birth=date(2015, 1, 1 + n),
                            nhs_number="",
                        )
                    ]
                ),
            )
            _agency_record(
                agencies["health"],
                f"{family}{n}",
                given_names=f"Kid{chr(65 + n)}",
                family_name=family,
                postcode="DC9 9ZZ",
            )

    make(1, "Quill")
    make(6, "Pardoe")
    client = signed_in(screener)
    counts = []
    for family in ("Quill", "Pardoe"):
        location = _search(client, name=family)["Location"]
        with CaptureQueriesContext(connection) as queries:
            page = client.get(location)
        assert page.status_code == 200
        counts.append(len(queries))
    few, many = counts
    assert few == many
    # 21 with the protective marking that every page now prints; 22 with django-otp's
    # loading the session's second factor.
    assert many <= 22, "\n".join(q["sql"][:200] for q in queries.captured_queries)


def test_a_child_is_found_by_a_name_recorded_as_one_of_their_other_names(
    screener: User, school_referrer: User
) -> None:
    from openmash.linkage.search import IndexScope, SearchTerms, search_index

    born = date(2016, 2, 29)
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(
                    given_names="Bartholomew",
                    family_name="Quennell-Ashworth",
                    other_names="Barty",
                    date_of_birth=born,
                    nhs_number="",
                )
            ]
        ),
    )
    barty = contact.people.get(role=PersonRole.SUBJECT_CHILD)
    text = _results(signed_in(screener), name="Barty Quennell-Ashworth", **_born(born))
    page = text.content.decode()
    assert reverse("enquiries:child-chronology", args=[barty.pk]) in page
    # Known as Barty: the same child's name, not a twin's.
    assert "could be twins" not in page
    found = search_index(
        SearchTerms(given_names="Barty", family_name="Quennell-Ashworth", date_of_birth=born),
        scope=IndexScope(every_contact=True),
    )
    assert found[0].contact_person_id == barty.pk
    assert found[0].probability is not None and found[0].probability > 0.9


@pytest.mark.parametrize(
    "name",
    [
        "Bartholomew Quennell Ashworth",
        "Quennell-Ashworth Bartholomew",
        "Bartolomew Quenell Ashworth",
    ],
    ids=["surname with a space", "surname first", "misspelt, surname with a space"],
)
def test_a_double_barrelled_surname_is_found_however_it_is_typed(
    screener: User, school_referrer: User, name: str
) -> None:
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(given_names="Bartholomew", family_name="Quennell-Ashworth", nhs_number="")
            ]
        ),
    )
    child = contact.people.get(role=PersonRole.SUBJECT_CHILD)
    text = _results(signed_in(screener), name=name).content.decode()
    assert reverse("enquiries:child-chronology", args=[child.pk]) in text


@pytest.mark.parametrize(
    ("probability", "shown"),
    [
        (0.99995, "Almost certain match (over 99.9%)"),
        (0.999, "Almost certain match (99.9%)"),
        (0.993, "Very likely match (99.3%)"),
        (0.97, "Very likely match (97%)"),
        (0.62, "Likely match (62%)"),
        (0.5, "Likely match (50%)"),
        (0.12, "Possible match (12%)"),
        (0.004, "Unlikely match (0.4%)"),
        (0.00001, "Unlikely match (under 0.1%)"),
        (None, ""),
    ],
)
def test_how_close_a_result_is_reads_in_words_then_the_figure(
    probability: float | None, shown: str
) -> None:
    """The matcher's thresholds (suggestion 0.5, automatic link 0.999) name the bands."""
    assert probability_text(probability) == shown
    # A search that could rank its results shows the same words.
    assert fit_text(probability, 0.9999) == shown


@pytest.mark.parametrize(
    ("probability", "highest", "shown"),
    [
        (0.0107, 0.0107, "Fits everything you typed"),
        (0.0003, 0.0107, "Fits some of what you typed"),
        (0.4654, 0.4654, "Fits everything you typed"),
        (0.2, 0.4654, "Fits some of what you typed"),
        (0.6, 0.6, "Likely match (60%)"),
        (None, None, ""),
    ],
)
def test_after_a_search_too_thin_to_rank_a_result_says_how_much_of_it_it_fits(
    probability: float | None, highest: float | None, shown: str
) -> None:
    assert fit_text(probability, highest) == shown
