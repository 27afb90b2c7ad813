"""Suggesting, confirming, rejecting and undoing links between a person in a contact and
the person index (issue 4, item 5), and how good the suggestions are (item 8).

- Every new contact's people are matched in the background (`links_suggest_for_contact`,
  run by the task in openmash.linkage.tasks). Candidates above the suggestion threshold
  become suggestions; above the automatic threshold AND with the same valid NHS number a
  link is made automatically (recorded as made by the matcher), unless the pair is in an
  open identifier conflict (openmash.linkage.conflicts: then only suggested) or either
  record holds the number in error. A pair a screener decided are different children is
  never suggested.
- A screener confirms or rejects each suggestion; while the contact is being screened,
  only the screener who took it (or a MASH manager) may, as for its other screening
  actions. A rejected pair is never suggested again. A confirmed or automatic link can be undone with a reason; the
  audit trail and the row (state "undone") stay.
- Every confirm, reject and undo is a labelled pair: `link_quality` estimates precision
  and recall of the suggestions from them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.errors import FieldErrors
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.core.proportions import Proportion
from openmash.linkage.conflicts import index_records_kept_apart
from openmash.linkage.models import IndexedPerson, IndexSource, LinkState, PersonLink

MATCHER = Actor(system="matcher", request_id="task:match")


def suggest_threshold() -> float:
    return float(getattr(settings, "LINKAGE_SUGGEST_THRESHOLD", 0.5))


def auto_link_threshold() -> float:
    return float(getattr(settings, "LINKAGE_AUTO_LINK_THRESHOLD", 0.999))


class LinkNotOpen(Exception):
    """The link is not in a state that allows this; nothing was changed."""


@dataclass(frozen=True)
class CandidateLike:
    """What the matcher returns for one candidate (see openmash.linkage.matcher)."""

    indexed_person_id: int
    probability: float
    explanation: list[str]


def _default_matcher() -> Callable[..., Sequence[Any]]:
    from openmash.linkage.matcher import match_person

    return match_person


def links_suggest_for_contact(
    *,
    contact_id: int,
    now: datetime | None = None,
    matcher: Callable[..., Sequence[Any]] | None = None,
    model_version: str = "",
) -> list[PersonLink]:
    """Match every person in the contact against the index; store new suggestions and
    make automatic links. Safe to run twice: pairs already decided are left alone."""
    now = now or timezone.now()
    match = matcher or _default_matcher()
    made: list[PersonLink] = []
    people = list(ContactPerson.objects.filter(contact_id=contact_id).order_by("position"))
    for person in people:
        made += _suggest_for_person(person, now=now, match=match, model_version=model_version)
    return made


def _candidates_for(person: ContactPerson, match: Callable[..., Sequence[Any]]) -> Sequence[Any]:
    return match(
        given_names=person.given_names,
        family_name=person.family_name,
        other_names=person.other_names,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        postcode=person.postcode,
        nhs_number=person.nhs_number,
        upn=person.upn,
        exclude_contact_id=person.contact_id,
    )


def _score_against(person: ContactPerson, records: list[IndexedPerson]) -> list[Any]:
    from openmash.linkage.matcher import score_against

    return list(score_against(person, records))


def _paired_with(person: ContactPerson) -> set[int]:
    """The index records already paired with the person, in either direction and in any
    state: the records suggested for them, and the index records of the people whose
    suggestions name this person's own record. A pair is suggested once, never twice."""
    forward = PersonLink.objects.filter(contact_person=person).values_list(
        "candidate_id", flat=True
    )
    backward = PersonLink.objects.filter(
        candidate__contact_person=person, contact_person__index_entry__isnull=False
    ).values_list("contact_person__index_entry__id", flat=True)
    return set(forward.union(backward, all=True))


def _suggest_for_person(
    person: ContactPerson,
    *,
    now: datetime,
    match: Callable[..., Sequence[Any]],
    model_version: str,
    newer_first: bool = False,
) -> list[PersonLink]:
    """Store the person's new suggestions and automatic links; pairs already made, in
    either direction, are left alone. With `newer_first` (a correction of someone already
    recorded), a pair with a person named in a later contact is stored as that person's
    suggestion of this one's record, as if the later contact had found it when it came in,
    so it shows where the later contact is screened."""
    candidates = _candidates_for(person, match)
    wanted = [c for c in candidates if c.probability >= suggest_threshold()]
    if not wanted:
        return []
    known = _paired_with(person)
    # Never a record its agency has withdrawn, whatever matcher was passed in.
    records = (
        IndexedPerson.objects.filter(withdrawn_at__isnull=True)
        .select_related("contact_person__contact")
        .in_bulk([c.indexed_person_id for c in wanted])
    )
    own_entry = IndexedPerson.objects.filter(contact_person=person).first() if newer_first else None
    # Identifier conflicts: a pair decided different is never suggested; one awaiting a
    # screener, or a number held in error, is never linked automatically.
    kept = index_records_kept_apart(person)
    made: list[PersonLink] = []
    for candidate in wanted:
        record = records.get(candidate.indexed_person_id)
        if record is None or candidate.indexed_person_id in known:
            continue
        if record.pk in kept.different:
            continue
        chooser, chosen = person, record
        other = record.contact_person
        if (
            own_entry is not None
            and other is not None
            and (other.contact.received_at, other.contact_id)
            > (person.contact.received_at, person.contact_id)
        ):
            chooser, chosen = other, own_entry
            # Scored from the later person's side, so the explanation reads their way.
            [candidate] = _score_against(other, [own_entry])
        automatic = (
            candidate.probability >= auto_link_threshold()
            and bool(chosen.nhs_valid)
            and chosen.nhs_valid == chooser.nhs_number
            and record.pk not in kept.records
            and record.pk not in kept.wrong_records
            and not kept.person_wrong
        )
        with transaction.atomic():
            try:
                link = PersonLink.objects.create(
                    contact_person=chooser,
                    candidate=chosen,
                    state=LinkState.CONFIRMED if automatic else LinkState.SUGGESTED,
                    probability=candidate.probability,
                    explanation=list(candidate.explanation),
                    model_version=model_version,
                    automatic=automatic,
                    suggested_at=now,
                    decided_at=now if automatic else None,
                )
            except IntegrityError:
                continue  # another run suggested the same pair first
            if automatic:
                audit_record(
                    actor=MATCHER,
                    action=AuditAction.CREATE,
                    object_type="person_link",
                    object_id=link.pk,
                    contact_id=chooser.contact_id,
                    detail={"automatic": True, "probability": round(candidate.probability, 4)},
                )
                _link_changes_facts(link)
        made.append(link)
    return made


@dataclass(frozen=True)
class LinksRefreshed:
    """What matching again after a correction changed: suggestions made (and automatic
    links), suggestions re-scored, and suggestions withdrawn because the corrected
    details no longer suggest them."""

    made: list[PersonLink]
    rescored: list[PersonLink]
    withdrawn: list[int]


def links_refresh_for_person(
    *,
    actor: Actor,
    person: ContactPerson,
    now: datetime | None = None,
    matcher: Callable[..., Sequence[Any]] | None = None,
) -> LinksRefreshed:
    """Match a person again after their details were corrected (their index record
    already refreshed, openmash.linkage.index.index_entry_refresh), in the caller's
    transaction.

    - Every suggestion still awaiting a decision that involves the person, in either
      direction, is scored again with the corrected details: kept with its new
      probability and explanation if it is still above the suggestion threshold,
      otherwise withdrawn (deleted, with an audit event; nobody had decided it).
    - Pairs a person decided (confirmed, rejected, undone) are kept as they are: a
      decision is never undone by a correction.
    - New candidates become suggestions, or automatic links, as for a new contact.
    """
    from openmash.linkage.matcher import current_model

    now = now or timezone.now()
    match = matcher or _default_matcher()
    open_links = list(
        PersonLink.objects.filter(state=LinkState.SUGGESTED)
        .filter(Q(contact_person=person) | Q(candidate__contact_person=person))
        .select_related("contact_person", "candidate")
    )
    rescored: list[PersonLink] = []
    withdrawn: list[int] = []
    gone: list[tuple[object, int | None]] = []
    for link in open_links:
        [scored] = _score_against(link.contact_person, [link.candidate])
        if scored.probability >= suggest_threshold():
            link.probability = scored.probability
            link.explanation = list(scored.explanation)
            link.model_version = scored.model_version
            rescored.append(link)
            continue
        withdrawn.append(link.pk)
        gone.append((link.pk, link.contact_person.contact_id))
    audit_record_many(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="person_link",
        objects=gone,
        detail={"why": "no longer suggested after a correction"},
    )
    if rescored:
        PersonLink.objects.bulk_update(rescored, ["probability", "explanation", "model_version"])
    if withdrawn:
        PersonLink.objects.filter(pk__in=withdrawn).delete()
    made = _suggest_for_person(
        person, now=now, match=match, model_version=current_model().version, newer_first=True
    )
    return LinksRefreshed(made=made, rescored=rescored, withdrawn=withdrawn)


def _link_for_update(actor: Actor, link_id: int) -> PersonLink:
    """The link, locked, if the actor may decide the matches of its contact
    (enquiries.decide_matches): PermissionDenied while another screener is screening the
    contact, unless the actor is a MASH manager, as for every other screening action."""
    if actor.user is None or not actor.user.has_perm("enquiries.screen_contact"):
        raise PermissionDenied
    link = (
        PersonLink.objects.select_for_update(of=("self",))
        .select_related("contact_person__contact", "candidate")
        .filter(pk=link_id)
        .first()
    )
    if link is None:
        # Removed with its record by an agency's import since the page was shown.
        raise LinkNotOpen("This match is no longer suggested: the agency no longer holds it.")
    if not actor.user.has_perm("enquiries.decide_matches", link.contact_person.contact):
        raise PermissionDenied
    return link


def _link_changes_facts(link: PersonLink) -> None:
    """A confirmed, rejected or undone link between records in two contacts can change
    either contact's re-referral figure (openmash.core.metric_facts)."""
    other = link.candidate.contact_person_id
    contacts = [link.contact_person.contact_id]
    if other is not None:
        contacts += ContactPerson.objects.filter(pk=other).values_list("contact_id", flat=True)
    contacts_changed(contacts)


def _decide(
    actor: Actor, link_id: int, to: str, allowed_from: set[str], reason: str, now: datetime | None
) -> PersonLink:
    link = _link_for_update(actor, link_id)
    if link.state not in allowed_from:
        raise LinkNotOpen(f"This match is {link.get_state_display().lower()} already.")
    if to == LinkState.CONFIRMED and link.candidate.withdrawn_at is not None:
        raise LinkNotOpen("The agency no longer holds this record: it cannot be confirmed.")
    link.state = to
    link.decided_by = actor.user
    link.decided_at = now or timezone.now()
    link.reason = reason.strip()[:2000]
    link.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="person_link",
        object_id=link.pk,
        contact_id=link.contact_person.contact_id,
        detail={"change": to},
    )
    _link_changes_facts(link)
    return link


@transaction.atomic
def link_confirm(*, actor: Actor, link_id: int, now: datetime | None = None) -> PersonLink:
    """A screener confirms the suggestion: the person is joined to that record."""
    return _decide(actor, link_id, LinkState.CONFIRMED, {LinkState.SUGGESTED}, "", now)


@transaction.atomic
def link_reject(
    *, actor: Actor, link_id: int, reason: str = "", now: datetime | None = None
) -> PersonLink:
    """A screener rejects the suggestion; the pair is never suggested again."""
    return _decide(actor, link_id, LinkState.REJECTED, {LinkState.SUGGESTED}, reason, now)


@transaction.atomic
def link_undo(
    *, actor: Actor, link_id: int, reason: str, now: datetime | None = None
) -> PersonLink:
    """Undo a wrong confirmed (or automatic) link, with the reason; it is kept as undone
    and never suggested again. Without a reason, raises FieldErrors and changes nothing."""
    if not reason.strip():
        raise FieldErrors({"reason": "Enter why the link is wrong"})
    return _decide(actor, link_id, LinkState.UNDONE, {LinkState.CONFIRMED}, reason, now)


# --- Reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkView:
    link: PersonLink
    # For a record from a contact: that contact; for an agency's record: the agency and
    # its pointer to its involvement (only if the viewer may see it).
    contact: Contact | None
    agency_name: str
    involvement: str
    # Whether the viewer may confirm, reject or undo it (enquiries.decide_matches).
    may_decide: bool = False

    @property
    def withdrawn_note(self) -> str:
        """For a confirmed link to a record its agency has since withdrawn from its feed:
        says so, with the date; otherwise empty."""
        withdrawn_at = self.link.candidate.withdrawn_at
        if withdrawn_at is None:
            return ""
        day = timezone.localtime(withdrawn_at)
        return (
            f"{self.agency_name or 'The agency'} no longer holds this record: it left "
            f"their index feed on {day.day} {day:%B %Y}."
        )


def links_for_contact(*, actor: Actor, contact: Contact) -> dict[int, list[LinkView]]:
    """Suggested and confirmed links of each person in the contact, keyed by person id,
    as the viewer may see them: MASH screeners and managers see previous contacts and the
    agencies whose index is visible to them; an agency researcher sees only their own
    agency's records. A record its agency has withdrawn from its feed is shown only where
    the link was confirmed (see LinkView.withdrawn_note), never as a suggestion. Records
    the read of each linked contact."""
    user = actor.user
    if user is None:
        raise PermissionDenied
    mash = user.has_perm("enquiries.view_all_findings")
    if not mash and not user.has_perm("enquiries.view_agency_checks"):
        raise PermissionDenied
    may_decide = user.has_perm("enquiries.decide_matches", contact)
    links = (
        PersonLink.objects.filter(contact_person__contact=contact)
        .filter(
            Q(state=LinkState.CONFIRMED)
            | Q(state=LinkState.SUGGESTED, candidate__withdrawn_at__isnull=True)
        )
        .select_related(
            "candidate",
            "candidate__agency",
            "candidate__agency__index_settings",
            "candidate__contact_person__contact",
        )
        .order_by("contact_person_id", "-probability")
    )
    views: dict[int, list[LinkView]] = {}
    shown_contacts: list[tuple[object, int | None]] = []
    for link in links:
        record = link.candidate
        if record.source == IndexSource.CONTACT:
            if not mash or record.contact_person is None:
                continue
            other = record.contact_person.contact
            views.setdefault(link.contact_person_id, []).append(
                LinkView(link, other, "", "", may_decide)
            )
            shown_contacts.append((other.pk, other.pk))
            continue
        agency = record.agency
        if agency is None:
            continue
        settings_row = getattr(agency, "index_settings", None)
        visible_to_mash = settings_row is None or settings_row.visible_to_mash_screeners
        own = user.agency_id == agency.pk
        if own or (mash and visible_to_mash):
            views.setdefault(link.contact_person_id, []).append(
                LinkView(link, None, agency.name, record.involvement, may_decide)
            )
    audit_record_many(
        actor=actor, action=AuditAction.LIST, object_type="contact", objects=shown_contacts
    )
    return views


@dataclass(frozen=True)
class LinkQuality:
    suggestions: int
    automatic: int
    confirmed: int
    rejected: int
    undone: int
    automatic_undone: int
    precision_of_suggestions: float | None
    precision_of_automatic_links: float | None
    recall_at_auto_threshold: float | None
    overridden: int
    # The counts behind the three shares, for showing each with its count and interval.
    decided: int = 0
    true_links: int = 0
    true_above: int = 0

    @property
    def suggestion_precision(self) -> Proportion:
        return Proportion(self.confirmed, self.decided)

    @property
    def automatic_precision(self) -> Proportion:
        return Proportion(self.automatic - self.automatic_undone, self.automatic)

    @property
    def auto_threshold_recall(self) -> Proportion:
        return Proportion(self.true_above, self.true_links)


def link_quality() -> LinkQuality:
    """Precision and recall of the matcher, estimated from what people decided.

    - precision of suggestions: confirmed / (confirmed + rejected + undone), over
      suggestions a person decided;
    - precision of automatic links: automatic links not undone / automatic links;
    - recall at the automatic threshold: of the pairs people confirmed, the share that
      scored at or above it (how many true links the threshold alone would have made);
    - overridden: rejected suggestions plus undone links.
    """
    counts = PersonLink.objects.aggregate(
        n_suggestions=Count("id"),
        n_automatic=Count("id", filter=Q(automatic=True)),
        n_confirmed=Count("id", filter=Q(state=LinkState.CONFIRMED, automatic=False)),
        n_rejected=Count("id", filter=Q(state=LinkState.REJECTED)),
        n_undone=Count("id", filter=Q(state=LinkState.UNDONE)),
        n_automatic_undone=Count("id", filter=Q(state=LinkState.UNDONE, automatic=True)),
        n_true_links=Count("id", filter=Q(state=LinkState.CONFIRMED)),
        n_true_above=Count(
            "id",
            filter=Q(state=LinkState.CONFIRMED, probability__gte=auto_link_threshold()),
        ),
    )
    decided = (
        counts["n_confirmed"]
        + counts["n_rejected"]
        + counts["n_undone"]
        - counts["n_automatic_undone"]
    )
    return LinkQuality(
        suggestions=counts["n_suggestions"],
        automatic=counts["n_automatic"],
        confirmed=counts["n_confirmed"],
        rejected=counts["n_rejected"],
        undone=counts["n_undone"],
        automatic_undone=counts["n_automatic_undone"],
        precision_of_suggestions=counts["n_confirmed"] / decided if decided else None,
        precision_of_automatic_links=(
            (counts["n_automatic"] - counts["n_automatic_undone"]) / counts["n_automatic"]
            if counts["n_automatic"]
            else None
        ),
        recall_at_auto_threshold=(
            counts["n_true_above"] / counts["n_true_links"] if counts["n_true_links"] else None
        ),
        overridden=counts["n_rejected"] + counts["n_undone"],
        decided=decided,
        true_links=counts["n_true_links"],
        true_above=counts["n_true_above"],
    )


# Bands of match probability for the quality report: where people agree with the matcher.
PROBABILITY_BANDS: tuple[tuple[float, float], ...] = (
    (0.5, 0.8),
    (0.8, 0.95),
    (0.95, 0.999),
    (0.999, 1.0),
)


@dataclass(frozen=True)
class QualityBand:
    low: float
    high: float
    suggestions: int
    confirmed: int
    overridden: int
    awaiting: int

    @property
    def label(self) -> str:
        closing = "1" if self.high >= 1.0 else f"{self.high:g}"
        return f"{self.low:g} to {closing}"

    @property
    def precision(self) -> float | None:
        decided = self.confirmed + self.overridden
        return self.confirmed / decided if decided else None

    @property
    def share_confirmed(self) -> Proportion:
        return Proportion(self.confirmed, self.confirmed + self.overridden)


def link_quality_by_band() -> list[QualityBand]:
    """Suggestions in each probability band and what people made of them, counted in
    the database in one query: confirmed (automatic links not undone count as
    confirmed), overridden (rejected or undone) and still awaiting a decision."""
    aggregates: dict[str, Any] = {}
    for n, (low, high) in enumerate(PROBABILITY_BANDS):
        in_band = Q(probability__gte=low) & (
            Q(probability__lte=high) if high >= 1.0 else Q(probability__lt=high)
        )
        aggregates[f"s{n}"] = Count("id", filter=in_band)
        aggregates[f"c{n}"] = Count("id", filter=in_band & Q(state=LinkState.CONFIRMED))
        aggregates[f"o{n}"] = Count(
            "id", filter=in_band & Q(state__in=(LinkState.REJECTED, LinkState.UNDONE))
        )
        aggregates[f"a{n}"] = Count("id", filter=in_band & Q(state=LinkState.SUGGESTED))
    counts = PersonLink.objects.aggregate(**aggregates)
    return [
        QualityBand(
            low=low,
            high=high,
            suggestions=counts[f"s{n}"],
            confirmed=counts[f"c{n}"],
            overridden=counts[f"o{n}"],
            awaiting=counts[f"a{n}"],
        )
        for n, (low, high) in enumerate(PROBABILITY_BANDS)
    ]
