"""The match quality page: what people made of the matcher's suggestions, in figures."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.linkage import links
from openmash.linkage.models import IndexedPerson, LinkState, PersonLink
from tests.conftest import signed_in
from tests.factories import a_child, a_submission

pytestmark = pytest.mark.django_db

# (probability, state, automatic) for each suggestion the fixture records.
DECIDED = [
    (0.6, LinkState.REJECTED, False),
    (0.7, LinkState.CONFIRMED, False),
    (0.9, LinkState.CONFIRMED, False),
    (0.9, LinkState.UNDONE, False),
    (0.9, LinkState.SUGGESTED, False),
    (0.97, LinkState.CONFIRMED, False),
    (0.9995, LinkState.CONFIRMED, True),
    (1.0, LinkState.UNDONE, True),
]


@pytest.fixture
def decided_links(school_referrer: User) -> None:
    actor = Actor(user=school_referrer)
    new, _ = contact_create(actor=actor, submission=a_submission())
    person = ContactPerson.objects.filter(contact=new).first()
    assert person is not None
    for n, (probability, state, automatic) in enumerate(DECIDED):
        earlier, _ = contact_create(
            actor=actor, submission=a_submission(people=[a_child(given_names=f"Amy{n}")])
        )
        candidate = IndexedPerson.objects.get(contact_person__contact=earlier)
        PersonLink.objects.create(
            contact_person=person,
            candidate=candidate,
            probability=probability,
            state=state,
            automatic=automatic,
        )


def test_it_counts_each_probability_band(decided_links: None) -> None:
    bands = {band.label: band for band in links.link_quality_by_band()}
    assert list(bands) == ["0.5 to 0.8", "0.8 to 0.95", "0.95 to 0.999", "0.999 to 1"]
    low = bands["0.5 to 0.8"]
    assert (low.suggestions, low.confirmed, low.overridden, low.awaiting) == (2, 1, 1, 0)
    middle = bands["0.8 to 0.95"]
    assert (middle.suggestions, middle.confirmed, middle.overridden, middle.awaiting) == (
        3,
        1,
        1,
        1,
    )
    assert middle.precision == pytest.approx(0.5)
    assert bands["0.95 to 0.999"].precision == 1.0
    # 1.0 itself falls in the top band.
    top = bands["0.999 to 1"]
    assert (top.suggestions, top.confirmed, top.overridden) == (2, 1, 1)


def test_it_shows_managers_the_figures_and_no_names(
    decided_links: None, personas: dict[str, User]
) -> None:
    response = signed_in(personas["manager"]).get(reverse("linkage:match-quality"))
    assert response.status_code == 200
    page = response.content.decode()
    quality = links.link_quality()
    assert quality.confirmed == 3 and quality.rejected == 1 and quality.undone == 2
    # Precision of suggestions: 3 confirmed of 3 + 1 + 1 decided (the undone automatic
    # link counts against automatic links instead): too few decisions for a percentage.
    assert "not enough to say (3 of 5; at least 10 needed)" in page
    assert "Precision of automatic links" in page
    assert "not enough to say (1 of 2; at least 10 needed)" in page
    assert "0.95 to 0.999" in page
    assert "%" not in page.split("<h1", 1)[1].split("Matches are suggested", 1)[0]
    assert "Amy" not in page


def test_it_shows_an_empty_hub_without_dividing_by_zero(analyst: User) -> None:
    page = signed_in(analyst).get(reverse("linkage:match-quality")).content.decode()
    assert "No decisions yet" in page and "none decided" in page


def test_the_command_prints_the_bands(decided_links: None) -> None:
    from io import StringIO

    out = StringIO()
    call_command("match_quality", stdout=out)
    assert "  0.8 to 0.95: 3; 1; 1; 1; not enough to say (1 of 2; at least 10 needed)" in (
        out.getvalue()
    )


def test_with_enough_decisions_each_share_has_its_count_and_interval(
    school_referrer: User, analyst: User
) -> None:
    actor = Actor(user=school_referrer)
    new, _ = contact_create(actor=actor, submission=a_submission())
    person = ContactPerson.objects.filter(contact=new).first()
    assert person is not None
    for n in range(12):
        earlier, _ = contact_create(
            actor=actor, submission=a_submission(people=[a_child(given_names=f"Amy{n}")])
        )
        PersonLink.objects.create(
            contact_person=person,
            candidate=IndexedPerson.objects.get(contact_person__contact=earlier),
            probability=0.7,
            state=LinkState.CONFIRMED if n < 9 else LinkState.REJECTED,
        )

    page = signed_in(analyst).get(reverse("linkage:match-quality")).content.decode()

    assert "75.0% (9 of 12; 95% interval 46.8% to 91.1%)" in page
    # No percentage anywhere without the count it is a share of.
    for match in re.finditer(r"(\d+(?:\.\d)?)%", page):
        before, after = page[: match.start()], page[match.end() :]
        in_interval = (
            after.startswith(" interval")
            or before.endswith("% interval ")
            or re.search(r"interval [\d.]+% to $", before)
        )
        assert in_interval or re.match(r" \(\d+ of \d+", after), page[
            match.start() - 40 : match.end() + 40
        ]
