from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.roles import Role
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    ClosureProposal,
    Decision,
    HandOn,
    Message,
)
from openmash.enquiries.workflow import OPEN_STATES
from openmash.strategy.models import StrategyDiscussion


def seed(days: int, seed: int = 7) -> None:
    call_command("seed_demo", "--days", str(days), "--seed", str(seed), stdout=StringIO())


def test_it_loads_every_role_and_realistic_contacts(db: None) -> None:
    seed(14)
    for role in Role:
        assert User.objects.filter(role_grants__role=role).exists(), role
    contacts = Contact.objects.count()
    assert 14 * 10 < contacts < 14 * 25  # about 20 a weekday, fewer at weekends
    sources = dict(Contact.objects.values_list("referral_source").annotate(n=Count("id")))
    assert sources["6"] == max(sources.values())  # police make the most contacts
    # Some children come back: the same NHS number in more than one contact.
    repeated = (
        ContactPerson.objects.exclude(nhs_number="")
        .values("nhs_number")
        .annotate(n=Count("contact", distinct=True))
        .filter(n__gt=1)
    )
    assert repeated.exists()


def empty() -> None:
    # Decisions are protected: they are removed first, as only a test would (and the
    # strategy discussions raised from them before them).
    StrategyDiscussion.objects.all().delete()
    HandOn.objects.all().delete()
    Decision.objects.all().delete()
    ClosureProposal.objects.all().delete()
    Contact.objects.all().delete()


def test_it_takes_contacts_through_the_mash_as_far_as_time_allows(db: None) -> None:
    seed(14)
    states = dict(Contact.objects.values_list("state").annotate(n=Count("id")))
    decided = states.get(ContactState.CLOSED, 0) + states.get(ContactState.HANDED_ON, 0)
    # Contacts from more than a week ago have all been decided (the hub works office
    # hours, and its one manager is away some days, so the last weekend's may still wait) ...
    old = Contact.objects.filter(received_at__lt=timezone.now() - timedelta(days=7))
    assert old.exists()
    assert not old.filter(state__in=OPEN_STATES).exists()
    assert decided >= old.count()
    # ... with every agency's check answered or waived, and a decision each.
    assert not AgencyCheck.objects.filter(contact__in=old, state=CheckState.REQUESTED).exists()
    assert Decision.objects.filter(contact__in=old).count() == old.count()
    assert HandOn.objects.filter(team="early_help").exists()
    assert Message.objects.filter(kind="outcome_feedback").exists()


def test_it_is_deterministic_for_a_seed(db: None) -> None:
    def contents() -> list[tuple[object, ...]]:
        return list(
            ContactPerson.objects.order_by(
                "contact__received_at", "contact_id", "position"
            ).values_list(
                "contact__received_at",
                "contact__referral_source",
                "given_names",
                "family_name",
                "date_of_birth",
                "nhs_number",
            )
        )

    seed(3, seed=11)
    first = contents()
    empty()
    seed(3, seed=11)
    assert first and contents() == first
    empty()
    seed(3, seed=12)
    assert contents() != first


def test_it_does_nothing_when_asked_if_empty_and_contacts_exist(db: None) -> None:
    seed(2)
    before = Contact.objects.count()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert Contact.objects.count() == before
    assert "already loaded" in out.getvalue()
    assert "mash-demo-2026" in out.getvalue()


def test_it_loads_police_and_health_feeds_and_matches_open_contacts_against_them(
    db: None,
) -> None:
    from openmash.linkage.models import IndexedPerson, IndexImport, IndexSource, PersonLink

    seed(14)
    imports = IndexImport.objects.filter(applied=True)
    assert {i.agency.slug for i in imports} == {"police", "health"}
    assert all(i.errors == [] for i in imports)
    agency_records = IndexedPerson.objects.filter(source=IndexSource.AGENCY)
    assert agency_records.filter(agency__slug="police").count() > 10
    assert agency_records.exclude(involvement="").count() == agency_records.count()
    # Screeners of open contacts see that an agency already knows some of the children.
    open_links = PersonLink.objects.filter(
        contact_person__contact__state__in=OPEN_STATES, candidate__source=IndexSource.AGENCY
    )
    assert open_links.exists()
