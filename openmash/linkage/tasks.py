from django_tasks import task

from openmash.linkage.links import links_suggest_for_contact


@task()
def match_contact_people(contact_id: int) -> int:
    """Match a new contact's people against the person index; returns links made."""
    return len(links_suggest_for_contact(contact_id=contact_id))
