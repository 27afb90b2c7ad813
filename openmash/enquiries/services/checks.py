"""Agency checks: the agency asked records what it knows about each person in the
contact, or the MASH waives a check it no longer needs. When the last open check is done
the contact goes to the manager for a decision."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from openmash.contacts.codes import ContactState, LawfulBasis
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor
from openmash.core.models import AuditAction
from openmash.enquiries import workflow
from openmash.enquiries.models import AgencyCheck, CheckFinding, CheckState, OnwardSharing
from openmash.enquiries.services.guards import (
    TEXT_LIMIT,
    _audit,
    _locked_contact,
    _raise_if,
    _require,
    _text,
)
from openmash.enquiries.workflow import IllegalTransition


@dataclass(frozen=True)
class FindingInput:
    """What an agency records about one person in the contact."""

    person_id: int
    known: bool | None
    summary: str = ""
    risk_indicators: str = ""
    last_involvement_on: date | None = None
    lawful_basis: str = ""
    restricted_information: str = ""
    summary_restricted: bool = False
    # Whether the agency releases the finding to the team the case is handed to
    # (OnwardSharing). Not given, it is not shared; the findings form sends "" when the
    # researcher chose nothing, which a known finding is refused.
    onward_sharing: str = "none"
    onward_summary: str = ""
    onward_lawful_basis: str = ""


def _check_for_agency(actor: Actor, check_id: int) -> AgencyCheck:
    """The check, if the actor's agency owns it. Another agency's check is reported as
    not existing, so ids cannot be probed (the fire wall)."""
    agency_id = actor.agency_id
    found = (
        AgencyCheck.objects.filter(pk=check_id, agency_id=agency_id).values_list(
            "contact_id", flat=True
        )
        if agency_id is not None
        else None
    )
    contact_id = found.first() if found is not None else None
    if contact_id is None:
        raise AgencyCheck.DoesNotExist(f"No check {check_id} for this agency.")
    # Locks in one order everywhere, the contact first, so two people cannot deadlock.
    _locked_contact(contact_id)
    return AgencyCheck.objects.select_for_update().get(pk=check_id)


def _finding_errors(
    findings: Sequence[FindingInput], people: list[tuple[int, str]], today: date
) -> dict[str, str]:
    """The errors in these findings, by form field; `people` is each person in the
    contact (id and full name), in order."""
    errors: dict[str, str] = {}
    by_person = {finding.person_id: finding for finding in findings}
    person_ids = [person_id for person_id, _ in people]
    for index, (person_id, name) in enumerate(people):
        prefix = f"findings-{index}"
        finding = by_person.get(person_id)
        who = name or f"person {index + 1}"
        if finding is None or finding.known is None:
            errors[f"{prefix}-known"] = f"Select whether {who} is known to your agency"
            continue
        if not finding.known:
            # What a researcher typed is never thrown away unseen: a person not known has
            # no summary or risk indicators to record.
            for field, words in (("summary", "a summary"), ("risk_indicators", "risk indicators")):
                if getattr(finding, field).strip():
                    errors[f"{prefix}-{field}"] = (
                        f"You said {who} is not known to your agency but wrote {words}: "
                        "select known to record it, or clear it"
                    )
        if finding.known and not finding.summary.strip():
            errors[f"{prefix}-summary"] = "Enter a summary of what your agency knows"
        if not finding.lawful_basis or finding.lawful_basis not in LawfulBasis.values:
            errors[f"{prefix}-lawful_basis"] = "Select the lawful basis for sharing"
        if finding.last_involvement_on is not None and finding.last_involvement_on > today:
            errors[f"{prefix}-last_involvement_on"] = (
                "Date of most recent involvement must be today or in the past"
            )
        errors.update(_onward_errors(prefix, finding))
        for field in ("summary", "risk_indicators", "restricted_information", "onward_summary"):
            value = getattr(finding, field)
            if len(value) > TEXT_LIMIT:
                errors[f"{prefix}-{field}"] = f"Enter {TEXT_LIMIT:,} characters or fewer"
            elif "\x00" in value:
                errors[f"{prefix}-{field}"] = "Remove the invisible control characters"
    unknown = set(by_person) - set(person_ids)
    if unknown:
        errors["findings"] = "Record findings only for the people in this contact"
    elif len(by_person) != len(findings):
        # Two findings for one person would break one_finding_per_person at the database.
        errors["findings"] = "Record one finding for each person"
    return errors


def _onward_errors(prefix: str, finding: FindingInput) -> dict[str, str]:
    """Whether and how a known finding may go to the receiving team, and on what basis."""
    errors: dict[str, str] = {}
    if not finding.known:
        return errors
    sharing = finding.onward_sharing
    if sharing not in OnwardSharing.values:
        errors[f"{prefix}-onward_sharing"] = (
            "Select whether this finding may be shared with the team that receives the case"
        )
        return errors
    if sharing == OnwardSharing.NONE:
        return errors
    if sharing == OnwardSharing.FULL and finding.summary_restricted:
        errors[f"{prefix}-onward_sharing"] = (
            "You said the whole summary must not be disclosed outside the MASH: "
            "share a summary you write, or do not share it"
        )
    if sharing == OnwardSharing.SUMMARY and not finding.onward_summary.strip():
        errors[f"{prefix}-onward_summary"] = (
            "Enter the summary the team that receives the case may see"
        )
    if finding.onward_lawful_basis not in LawfulBasis.values:
        errors[f"{prefix}-onward_lawful_basis"] = "Select the lawful basis for sharing it onward"
    return errors


def _complete_if_all_checks_done(actor: Actor, contact: Contact) -> None:
    if contact.state != ContactState.CHECKS_IN_PROGRESS:
        return
    if not contact.agency_checks.filter(state=CheckState.REQUESTED).exists():
        workflow.move(contact, ContactState.AWAITING_DECISION)
        contact.save(update_fields=["state"])
        _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="checks complete")


def _onward_fields(finding: FindingInput) -> dict[str, str]:
    sharing = finding.onward_sharing if finding.known else OnwardSharing.NONE
    if sharing not in (OnwardSharing.FULL, OnwardSharing.SUMMARY):
        return {
            "onward_sharing": OnwardSharing.NONE,
            "onward_summary": "",
            "onward_lawful_basis": "",
        }
    return {
        "onward_sharing": sharing,
        "onward_summary": finding.onward_summary.strip()
        if sharing == OnwardSharing.SUMMARY
        else "",
        "onward_lawful_basis": finding.onward_lawful_basis,
    }


def _people_named(contact_id: int) -> list[tuple[int, str]]:
    """Each person in the contact, in order: id and full name."""
    return [
        (pk, " ".join(part for part in (given, family) if part))
        for pk, given, family in ContactPerson.objects.filter(contact_id=contact_id)
        .order_by("position")
        .values_list("pk", "given_names", "family_name")
    ]


def check_findings_errors(
    *, check: AgencyCheck, findings: Sequence[FindingInput], now: datetime | None = None
) -> dict[str, str]:
    """The errors check_record_findings would find in these findings, by form field,
    without recording anything or asking who may: for a page whose own forms found
    errors too, to show all of them in one round rather than these only once those are
    put right."""
    today = timezone.localdate(now or timezone.now())
    return _finding_errors(findings, _people_named(check.contact_id), today)


@transaction.atomic
def check_record_findings(
    *,
    actor: Actor,
    check_id: int,
    findings: Sequence[FindingInput],
    now: datetime | None = None,
) -> AgencyCheck:
    """Record the agency's findings, one per person in the contact, and complete the
    check. Only the agency asked may answer (a researcher or its system's API token);
    another agency's check raises AgencyCheck.DoesNotExist. When the last open check is
    answered the contact goes to the manager for a decision."""
    if actor.token is None:
        _require(actor, "enquiries.record_findings")
    now = now or timezone.now()
    check = _check_for_agency(actor, check_id)
    contact = _locked_contact(check.contact_id)
    if check.state != CheckState.REQUESTED or contact.state not in (
        ContactState.CHECKS_IN_PROGRESS,
        ContactState.AWAITING_DECISION,
    ):
        raise IllegalTransition(
            contact,
            contact.state,
            f"This check is {check.get_state_display().lower()}"
            + (
                ""
                if check.state != CheckState.REQUESTED
                else f" and {contact.reference} is {contact.get_state_display().lower()}"
            )
            + ": findings can no longer be recorded.",
        )
    _raise_if(_finding_errors(findings, _people_named(contact.pk), timezone.localdate(now)))
    CheckFinding.objects.bulk_create(
        CheckFinding(
            agency_check=check,
            person_id=finding.person_id,
            known=bool(finding.known),
            summary=finding.summary.strip() if finding.known else "",
            risk_indicators=finding.risk_indicators.strip() if finding.known else "",
            last_involvement_on=finding.last_involvement_on if finding.known else None,
            lawful_basis=finding.lawful_basis,
            restricted_information=finding.restricted_information.strip(),
            summary_restricted=finding.summary_restricted,
            **_onward_fields(finding),
        )
        for finding in findings
    )
    check.state = CheckState.COMPLETED
    check.completed_by = actor.user
    check.completed_by_token = actor.token
    check.completed_at = now
    check.save(update_fields=["state", "completed_by", "completed_by_token", "completed_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "agency_check",
        check,
        contact,
        change="findings recorded",
        known=sum(1 for finding in findings if finding.known),
        released_onward=sum(
            1
            for finding in findings
            if finding.known
            and finding.onward_sharing in (OnwardSharing.FULL, OnwardSharing.SUMMARY)
        ),
    )
    _complete_if_all_checks_done(actor, contact)
    return check


@transaction.atomic
def check_waive(
    *, actor: Actor, check_id: int, reason: str, now: datetime | None = None
) -> AgencyCheck:
    """The MASH decides it no longer needs an agency's check, with the reason."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(
        AgencyCheck.objects.values_list("contact_id", flat=True).get(pk=check_id)
    )
    check = AgencyCheck.objects.select_for_update().select_related("agency").get(pk=check_id)
    if check.state != CheckState.REQUESTED:
        raise IllegalTransition(
            contact,
            contact.state,
            f"The {check.agency.name} check is already {check.get_state_display().lower()}.",
        )
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why this check is no longer needed")
    _raise_if(errors)
    check.state = CheckState.WAIVED
    check.waived_by = user
    check.waived_at = now
    check.waive_reason = reason
    check.save(update_fields=["state", "waived_by", "waived_at", "waive_reason"])
    _audit(actor, AuditAction.UPDATE, "agency_check", check, contact, change="waived")
    _complete_if_all_checks_done(actor, contact)
    return check
