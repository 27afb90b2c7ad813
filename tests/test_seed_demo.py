from io import StringIO

from django.core.management import call_command
from django.db.models import Count

from openmash.accounts.models import User
from openmash.accounts.roles import Role
from openmash.contacts.models import Contact, ContactPerson


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
    Contact.objects.all().delete()
    seed(3, seed=11)
    assert first and contents() == first
    Contact.objects.all().delete()
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
