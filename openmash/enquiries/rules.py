from typing import Any

import rules

from openmash.area.models import HandOnTeam
from openmash.contacts.codes import ContactState
from openmash.core.permissions import (
    is_agency_researcher,
    is_early_help_coordinator,
    is_mash_decision_maker,
    is_mash_manager,
    is_screener,
)


@rules.predicate
def hand_on_is_for_their_team(user: Any, hand_on: Any) -> bool:
    if hand_on is None:
        return True
    if hand_on.team == HandOnTeam.EARLY_HELP:
        return bool(is_early_help_coordinator(user))
    if hand_on.team == HandOnTeam.CHILDRENS_SOCIAL_CARE:
        return bool(is_mash_manager(user))
    return False


@rules.predicate
def not_screened_by_someone_else(user: Any, contact: Any) -> bool:
    # While a contact is being screened only the screener who took it works on it: the
    # rule of every screening service
    # (openmash.enquiries.services.screening._require_its_screener).
    if contact is None:
        return True
    return contact.state != ContactState.SCREENING or contact.assigned_to_id in (None, user.pk)


@rules.predicate
def their_agency_was_asked(user: Any, contact: Any) -> bool:
    # An agency researcher works on a contact only once their agency was asked to check it.
    if contact is None:
        return True
    agency_id = getattr(user, "agency_id", None)
    return agency_id is not None and contact.agency_checks.filter(agency_id=agency_id).exists()


# Screening: the screening queue, taking a contact, rating it, opening an enquiry,
# requesting and waiving checks, proposing closure, passing to an allocated worker.
rules.add_perm("enquiries.view_screening_queue", is_mash_decision_maker)
rules.add_perm("enquiries.screen_contact", is_screener | is_mash_manager)
rules.add_perm("enquiries.manage_screening", is_mash_manager)
# Allocation (issue 13): assigning or transferring contacts to a named worker, one at a
# time or in bulk from the queue: MASH managers only.
rules.add_perm("enquiries.allocate", is_mash_manager)
# Agency checks: a MASH manager gives an agency's open checks to named researchers of
# that agency (the hub's manager oversees every agency's timeliness; OpenMASH has no
# agency team-leader role, docs/adr/0018-allocating-checks-and-hand-ons.md). The
# services keep the researcher to the check's agency.
rules.add_perm("enquiries.allocate_checks", is_mash_manager)
# Hand-ons: whoever answers a receiving team's hand-ons gives them to a named member of
# that team (early help coordinators for early help, MASH managers for children's social
# care). Asked with the hand-on; without it, whether the role answers any.
rules.add_perm(
    "enquiries.allocate_hand_ons",
    (is_early_help_coordinator | is_mash_manager) & hand_on_is_for_their_team,
)
# Who is this child? Confirming, rejecting and undoing a contact's matches is screening
# work on that contact, so the same rule as its other screening actions: not while
# another screener is screening it, unless the user is a MASH manager. Asked with the
# contact.
rules.add_perm(
    "enquiries.decide_matches", (is_screener & not_screened_by_someone_else) | is_mash_manager
)
# Correcting a person's details on a contact (names, date of birth, sex, address,
# identifiers): MASH work on the record, so the screening rule again: a screener, but not
# while another screener is screening the contact; a MASH manager always. Whatever the
# contact's state: a closed contact's wrong NHS number still joins the wrong child's
# history, so it must stay correctable, and the history row and audit event say who
# changed what and why. Asked with the contact.
rules.add_perm(
    "enquiries.correct_person", (is_screener & not_screened_by_someone_else) | is_mash_manager
)
# Marking what the referrer added as read (issue 13, item 3): screening work on the
# contact, so the screening rule: a screener, not while another screener is screening it
# (it is theirs to read); a MASH manager always. Asked with the contact.
rules.add_perm(
    "enquiries.mark_additions_read",
    (is_screener & not_screened_by_someone_else) | is_mash_manager,
)
# Every agency's findings together: the MASH screener and manager only (the fire wall).
rules.add_perm("enquiries.view_all_findings", is_mash_decision_maker)
# An agency's own check queue; the check itself is scoped to the researcher's agency
# by the selectors and services.
rules.add_perm("enquiries.view_agency_checks", is_agency_researcher)
rules.add_perm("enquiries.record_findings", is_agency_researcher)
rules.add_perm("enquiries.decide", is_mash_manager)
rules.add_perm("enquiries.view_decisions_queue", is_mash_manager)
rules.add_perm("enquiries.view_hand_on_queue", is_early_help_coordinator | is_mash_manager)
rules.add_perm(
    "enquiries.respond_to_hand_on",
    (is_early_help_coordinator | is_mash_manager) & hand_on_is_for_their_team,
)
# A child's chronology: the MASH sees everything; a researcher sees their own agency's
# findings only; an early help coordinator sees contacts, decisions and hand-ons.
rules.add_perm(
    "enquiries.view_child_chronology",
    is_mash_decision_maker | is_agency_researcher | is_early_help_coordinator,
)
# Emails the mail server did not take: the MASH sees them on the decision page; a manager
# tries one again.
rules.add_perm("enquiries.retry_message", is_mash_manager)
# Find a child (issue 11): the MASH's screeners and managers find any child named in a
# contact and the agency index records shared with the MASH; an agency researcher finds
# only their own agency's index records and the children in contacts their agency was
# asked to check (the fire wall: the selector scopes, openmash/enquiries/selectors/search.py).
# Early help coordinators, referrers, analysts and auditors have no search: they see a
# child only through a contact handed or sent to them (the auditor has the access log).
rules.add_perm("enquiries.find_child", is_mash_decision_maker | is_agency_researcher)
# Case notes (issue 13, item 1): the MASH's screeners and managers add and see notes on
# any contact; an agency researcher only on a contact their agency was asked to check,
# and sees only the notes written by their own agency's people (the selector scopes,
# openmash/enquiries/selectors/notes.py). Early help coordinators and referrers: none.
# Asked with the contact (without it, whether the role may have notes at all).
rules.add_perm(
    "enquiries.case_notes", is_mash_decision_maker | (is_agency_researcher & their_agency_was_asked)
)
# Attachments (issue 13, item 2): who may add files to a contact and see its files: the
# same people as its case notes. Which files each sees is the fire wall's (the selector
# scopes, openmash/enquiries/selectors/attachments.py): the MASH every file; an agency
# researcher only their own agency's (its check's files, and files its people added to
# the contact or its notes), never another agency's. A check's files are added by its
# agency's researchers (enquiries.record_findings, the check scoped to their agency).
# Early help coordinators, referrers and the receiving team: none. Asked with the contact
# (without it, whether the role may have attachments at all).
rules.add_perm(
    "enquiries.attachments",
    is_mash_decision_maker | (is_agency_researcher & their_agency_was_asked),
)
