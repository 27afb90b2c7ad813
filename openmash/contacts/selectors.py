"""Every read of contacts and the people in them: scoped by role and agency, and audited."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState, ReferralSource
from openmash.contacts.models import Contact, ContactDraft, ContactPerson
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.keyset import KeysetPage, keyset_page_newest_first
from openmash.core.models import AuditAction, AuditEvent

CONTACTS_PER_PAGE = 50


def _with_people(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.select_related("submitted_by_agency").prefetch_related(
        Prefetch("people", queryset=ContactPerson.objects.order_by("position")), "factors"
    )


def _audit_listed(actor: Actor, contacts: list[Contact]) -> None:
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="contact",
        objects=[(contact.pk, contact.pk) for contact in contacts],
    )


def contact_get_visible_to(*, actor: Actor, reference: str) -> Contact:
    """The contact, if this user or token may see it; records the read.

    Raises Http404 for a contact that does not exist and for one this user or token
    may not see, alike, so nobody can learn from the answer that a reference exists
    (a referrer trying another agency's references once got 403 for real ones and 404
    for the rest). The refusal is still recorded (core.middleware).
    """
    if "\x00" in reference:  # no reference holds one, and PostgreSQL refuses to compare it
        raise Http404
    contact = _with_people(Contact.objects.filter(reference=reference)).first()
    if contact is None:
        raise Http404
    if actor.token is not None:
        if contact.submitted_by_agency_id != actor.token.agency_id:
            raise Http404
    elif actor.user is None or not actor.user.has_perm("contacts.view_contact", contact):
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact",
        object_id=contact.pk,
        contact_id=contact.pk,
    )
    return contact


def contact_get_by_id_for_token(*, actor: Actor, contact_id: int) -> Contact:
    reference = Contact.objects.filter(pk=contact_id).values_list("reference", flat=True).first()
    if reference is None:
        raise Http404
    return contact_get_visible_to(actor=actor, reference=reference)


def contact_page_new(
    *, actor: Actor, after: str | None = None, before: str | None = None
) -> KeysetPage:
    """Contacts received and not yet screened, newest first, a page at a time by keyset
    (openmash.core.keyset: the same cost on the last page as the first, and a count that
    stops at 1,000, however many contacts wait); records each one shown."""
    if actor.user is None or not actor.user.has_perm("contacts.view_new_contacts"):
        raise PermissionDenied
    page = keyset_page_newest_first(
        _with_people(Contact.objects.filter(state=ContactState.RECEIVED)),
        moment="received_at",
        per_page=CONTACTS_PER_PAGE,
        after=after,
        before=before,
    )
    _audit_listed(actor, list(page.object_list))
    return page


def contact_page_submitted_by_agency(*, actor: Actor, page_number: str | int | None) -> Page:
    """Contacts the user's own organisation submitted; records each one shown. (The
    referrer's list adds the MASH's decisions: enquiries.selectors.outcomes.)"""
    user = actor.user
    if user is None or not user.has_perm("contacts.view_submitted_contacts"):
        raise PermissionDenied
    contacts = _with_people(Contact.objects.filter(submitted_by_agency_id=user.agency_id)).order_by(
        "-received_at", "-id"
    )
    page = Paginator(contacts, CONTACTS_PER_PAGE).get_page(page_number)
    _audit_listed(actor, list(page.object_list))
    return page


def contact_draft_for(*, user: User) -> ContactDraft | None:
    return ContactDraft.objects.filter(owner=user).first()


@dataclass(frozen=True)
class WeeklyCount:
    week: object
    source: str  # the census code
    label: str  # the code with its name, as the CIN census writes it
    contacts: int


# The census's own order of referral sources: 1A, 1B ... 9, 10 (not "10" before "1A").
SOURCE_ORDER = {code: position for position, code in enumerate(ReferralSource.values)}


def contact_weekly_counts_by_source(
    *, weeks: int = 13, today: date | None = None
) -> list[WeeklyCount]:
    """Contacts received per week and referral source over the last `weeks` weeks (this
    week included), newest week first and sources in census order: counts only, never a
    name. Reads only those weeks, however long the MASH's history."""
    today = today or timezone.localdate()
    first_week = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = timezone.make_aware(datetime.combine(first_week, time.min))
    rows = (
        Contact.objects.filter(received_at__gte=since)
        .annotate(week=TruncWeek("received_at"))
        .values("week", "referral_source")
        .annotate(contacts=Count("id"))
    )
    labels = dict(ReferralSource.choices)
    counts = [
        WeeklyCount(
            row["week"],
            row["referral_source"],
            labels.get(row["referral_source"], row["referral_source"]),
            row["contacts"],
        )
        for row in rows
    ]
    counts.sort(key=lambda count: (-_week_number(count.week), SOURCE_ORDER.get(count.source, 99)))
    return counts


def _week_number(week: object) -> int:
    """A week's place in time, for sorting (TruncWeek gives a date or a datetime)."""
    return week.toordinal() if isinstance(week, date) else 0


def person_search_for_access_log(*, actor: Actor, query: str) -> list[ContactPerson]:
    """People named in contacts, found by contact reference or by name, for an auditor."""
    if actor.user is None or not actor.user.has_perm("contacts.view_access_log"):
        raise PermissionDenied
    query = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a comparison
    if not query:
        return []
    if query.upper().startswith("MASH-"):
        people = ContactPerson.objects.filter(contact__reference=query.upper())
    else:
        terms = query.split()
        people = ContactPerson.objects.filter(family_name__iexact=terms[-1])
        if len(terms) > 1:
            people = people.filter(given_names__istartswith=terms[0])
    found = list(people.select_related("contact").order_by("-contact__received_at")[:50])
    audit_record(
        actor=actor,
        action=AuditAction.SEARCH,
        object_type="access_log",
        detail={"results": len(found)},
    )
    return found


@dataclass(frozen=True)
class PersonAccessLog:
    person: ContactPerson
    events: list[AuditEvent]


def person_access_log(*, actor: Actor, person_id: int) -> PersonAccessLog:
    """Who viewed or changed the record of the contact this person is named in, newest first."""
    if actor.user is None or not actor.user.has_perm("contacts.view_access_log"):
        raise PermissionDenied
    person = ContactPerson.objects.select_related("contact").filter(pk=person_id).first()
    if person is None:
        raise Http404
    events = list(
        AuditEvent.objects.filter(
            Q(contact_id=person.contact_id) | Q(object_type="person", object_id=str(person.pk))
        )
        .select_related("actor_user__agency", "actor_token__agency")
        .order_by("-occurred_at", "-id")[:500]
    )
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="access_log",
        object_id=person.pk,
        contact_id=person.contact_id,
    )
    return PersonAccessLog(person=person, events=events)
