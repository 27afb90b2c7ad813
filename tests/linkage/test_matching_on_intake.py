from typing import Any

from openmash.accounts.models import User
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.linkage.models import LinkState, PersonLink
from tests.factories import a_child, a_submission


def test_a_new_contact_is_matched_in_the_background(
    school_referrer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        earlier, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    with django_capture_on_commit_callbacks(execute=True):
        new, _ = contact_create(
            actor=Actor(user=school_referrer),
            submission=a_submission(people=[a_child(family_name="Smyth")]),
        )
    # Amy Smyth with Amy Smith's NHS number and date of birth: the same child, found by the
    # task the contact queued (the test settings run tasks at once).
    links = PersonLink.objects.filter(contact_person__contact=new)
    found = {link.candidate.contact_person.contact_id for link in links}  # type: ignore[union-attr]
    assert earlier.pk in found
    assert all(link.state in (LinkState.SUGGESTED, LinkState.CONFIRMED) for link in links)
