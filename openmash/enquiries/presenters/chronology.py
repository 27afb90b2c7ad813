"""What a child's chronology page shows: a summary of the child, the early-warning banner,
and one timeline of everything that happened on every contact about them, newest first.
Worked out here so the template holds no logic; what may be shown at all was settled by
the selector (openmash/enquiries/selectors/chronology.py)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import (
    AssessmentFactor,
    Channel,
    LawfulBasis,
    PersonRole,
    ReferralSource,
)
from openmash.contacts.presenters import PersonPresenter
from openmash.core.presenters import Tag, rag_tag
from openmash.core.time_text import plural, when_text
from openmash.enquiries.models import AgencyCheck, CheckFinding, CheckState, Decision, HandOnState
from openmash.enquiries.presenters.corrections import CorrectionRow
from openmash.enquiries.presenters.screening import ConcernFlagRow
from openmash.enquiries.selectors.chronology import (
    ChildChronology,
    ChronologyContact,
    ChronologyScope,
)
from openmash.enquiries.summary import decision_summary

# Within one moment, the order things happen in on a contact (newest first reverses it).
RECEIVED, RATED, REQUESTED, ANSWERED, DECIDED, HANDED_ON, RESPONDED, CORRECTED, NOTED = range(9)


def _name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _label(choices: type[ReferralSource] | type[Channel] | type[PersonRole], code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


@dataclass(frozen=True)
class Detail:
    key: str
    value: str
    # Held inside the MASH only: shown with a warning not to disclose it.
    restricted: bool = False


@dataclass(frozen=True)
class TimelineItem:
    """One entry in the MOJ timeline."""

    at: datetime
    step: int
    title: str
    reference: str
    contact_href: str = ""
    byline: str = ""
    tag: Tag | None = None
    details: list[Detail] = field(default_factory=list)
    note: str = ""

    @property
    def when(self) -> str:
        return when_text(self.at)

    @property
    def iso(self) -> str:
        return self.at.isoformat()


def _finding_details(finding: CheckFinding, agency: str, records: int) -> list[Detail]:
    prefix = f"{finding.person.full_name}: " if records > 1 else ""
    details = [
        Detail(f"{prefix}Known to {agency}", "Yes" if finding.known else "No"),
    ]
    if finding.known:
        details.append(
            Detail("What they know", finding.summary, restricted=finding.summary_restricted)
        )
        if finding.risk_indicators:
            details.append(Detail("Risk indicators", finding.risk_indicators))
        if finding.last_involvement_on:
            day = finding.last_involvement_on
            details.append(Detail("Most recent involvement", f"{day.day} {day:%B %Y}"))
    basis = finding.lawful_basis
    details.append(
        Detail(
            "Lawful basis for sharing",
            LawfulBasis(basis).label if basis in LawfulBasis.values else basis,
        )
    )
    if finding.restricted_information:
        details.append(
            Detail("Restricted information", finding.restricted_information, restricted=True)
        )
    return details


def _summary_details(decision: Decision, *, rationale: bool) -> list[Detail]:
    summary = decision_summary(decision, hand_on_id=0, reference="", team="")
    details = []
    if summary.summary:
        details.append(Detail("Summary for the receiving team", summary.summary))
    if summary.worker_risks:
        details.append(Detail("Risks to workers visiting the home", summary.worker_risks))
    details += [
        Detail(f"Shared by {finding.agency} about {finding.person}", finding.text)
        for finding in summary.findings
    ]
    if rationale and summary.rationale is not None:
        details.append(Detail("Rationale shared with the receiving team", summary.rationale))
    return details


@dataclass(frozen=True)
class _ContactItems:
    """The timeline items for one contact, as the viewer may see them."""

    entry: ChronologyContact
    scope: ChronologyScope
    contact_href: str

    def _item(self, at: datetime, step: int, title: str, **kwargs: object) -> TimelineItem:
        return TimelineItem(
            at=at,
            step=step,
            title=title,
            reference=self.entry.contact.reference,
            contact_href=self.contact_href,
            **kwargs,  # type: ignore[arg-type]
        )

    def _sees_findings_of(self, check: AgencyCheck) -> bool:
        return self.scope.all_findings or check.agency_id == self.scope.own_agency_id

    def received(self) -> TimelineItem:
        contact = self.entry.contact
        factors = [
            AssessmentFactor(factor.code).label
            if factor.code in AssessmentFactor.values
            else factor.code
            for factor in contact.factors.all()
        ]
        roles = sorted({_label(PersonRole, record.role) for record in self.entry.child_records})
        details = [
            Detail("Concerns", "\n".join(factors) or "None given"),
            Detail("Child named as", ", ".join(roles)),
            Detail("How it came in", _label(Channel, contact.channel)),
        ]
        if self.scope.all_findings:
            details.append(Detail("What the referrer said", contact.concern_description))
        source = _label(ReferralSource, contact.referral_source)
        organisation = contact.referrer_organisation if self.scope.all_findings else ""
        return self._item(
            contact.received_at,
            RECEIVED,
            "Contact received",
            byline=f"{organisation} ({source})" if organisation else source,
            tag=Tag("Immediate risk", "red") if contact.immediate_risk else None,
            details=details,
        )

    def ratings(self) -> list[TimelineItem]:
        items = []
        for rating in self.entry.ratings:
            details = [Detail("Decision due by", when_text(rating.deadline_at))]
            if self.scope.all_findings:
                reason = "Reason for re-grading" if rating.is_regrade else "Rationale"
                details.insert(0, Detail(reason, rating.rationale))
            verb = "Re-graded" if rating.is_regrade else "Rated"
            items.append(
                self._item(
                    rating.set_at,
                    RATED,
                    verb,
                    byline=_name(rating.set_by),
                    tag=rag_tag(rating.level),
                    details=details,
                )
            )
        return items

    def checks_requested(self) -> list[TimelineItem]:
        # Checks asked for together are one entry.
        together: dict[tuple[datetime, int], list[AgencyCheck]] = defaultdict(list)
        for check in self.entry.checks:
            together[(check.requested_at, check.requested_by_id)].append(check)
        items = []
        for (requested_at, _), checks in together.items():
            names = [check.agency.name for check in checks]
            title = (
                f"{names[0]} check requested"
                if len(names) == 1
                else f"Agency checks requested: {', '.join(names)}"
            )
            items.append(
                self._item(
                    requested_at,
                    REQUESTED,
                    title,
                    byline=_name(checks[0].requested_by),
                    details=[
                        Detail(check.agency.name, f"Due by {when_text(check.deadline_at)}")
                        for check in checks
                    ],
                )
            )
        return items

    def checks_answered(self) -> list[TimelineItem]:
        items = []
        for check in self.entry.checks:
            agency = check.agency.name
            visible = self._sees_findings_of(check)
            if check.state == CheckState.COMPLETED and check.completed_at is not None:
                if not visible:
                    items.append(
                        self._item(
                            check.completed_at,
                            ANSWERED,
                            f"{agency} check completed",
                            note=f"What {agency} found is seen only by the MASH.",
                        )
                    )
                    continue
                by = _name(check.completed_by) or (
                    f"{check.completed_by_token.name} (API)" if check.completed_by_token else ""
                )
                findings = list(check.findings.all())
                details = [
                    detail
                    for finding in findings
                    for detail in _finding_details(finding, agency, len(findings))
                ]
                items.append(
                    self._item(
                        check.completed_at,
                        ANSWERED,
                        f"{agency} check completed",
                        byline=by,
                        details=details,
                        note="" if findings else f"{agency} recorded nothing about this child.",
                    )
                )
            elif check.state == CheckState.WAIVED and check.waived_at is not None:
                reasons = [Detail("Reason", check.waive_reason)] if self.scope.all_findings else []
                items.append(
                    self._item(
                        check.waived_at,
                        ANSWERED,
                        f"{agency} check waived",
                        byline=_name(check.waived_by),
                        details=reasons,
                    )
                )
        return items

    def decisions(self) -> list[TimelineItem]:
        items = []
        records = {record.pk for record in self.entry.child_records}
        for decision in self.entry.decisions:
            # This child's own outcome (ADR 0022): a sibling's is on the sibling's page.
            own = next(
                (child for child in decision.child_outcomes.all() if child.person_id in records),
                None,
            )
            outcome = own.outcome if own else decision.outcome
            level = own.level_of_need if own else decision.level_of_need
            receiving_team = own.receiving_team if own else decision.receiving_team
            details = [
                Detail(
                    "Level of need",
                    f"Level {level.number}: {level.label}" if level else "Not set (already open)",
                )
            ]
            if receiving_team:
                details.append(Detail("Receiving team", receiving_team))
            if self.scope.all_findings:
                details.append(Detail("Rationale", decision.rationale))
                if decision.amends_id:
                    details.append(Detail("Reason for the amendment", decision.amendment_reason))
            if self.scope.all_findings or not self.scope.screening:
                # The MASH summary, the same one the hand-on page shows a receiving team:
                # the rationale only if the manager shared it (openmash.enquiries.summary).
                details += _summary_details(decision, rationale=not self.scope.all_findings)
            title = "Decision amended" if decision.amends_id else "Decision"
            items.append(
                self._item(
                    decision.decided_at,
                    DECIDED,
                    f"{title}: {outcome.label}",
                    byline=_name(decision.decided_by),
                    details=details,
                )
            )
        return items

    def hand_ons(self) -> list[TimelineItem]:
        items = []
        sees_returns = self.scope.all_findings or not self.scope.screening
        for hand_on in self.entry.hand_ons:
            team = HandOnTeam(hand_on.team).label if hand_on.team in HandOnTeam.values else ""
            if hand_on.team == HandOnTeam.ALLOCATED_WORKER:
                items.append(
                    self._item(
                        hand_on.created_at,
                        HANDED_ON,
                        "Passed to the child's allocated social worker",
                        byline=_name(hand_on.responded_by),
                        details=[Detail("Allocated worker", hand_on.allocated_worker)],
                    )
                )
                continue
            items.append(self._item(hand_on.created_at, HANDED_ON, f"Handed on to {team}"))
            if hand_on.responded_at is None:
                continue
            if hand_on.state == HandOnState.ACCEPTED:
                worker = hand_on.allocated_worker
                items.append(
                    self._item(
                        hand_on.responded_at,
                        RESPONDED,
                        f"Accepted by {team}",
                        byline=_name(hand_on.responded_by),
                        details=[Detail("Allocated worker", worker)] if worker else [],
                    )
                )
            elif hand_on.state == HandOnState.RETURNED:
                items.append(
                    self._item(
                        hand_on.responded_at,
                        RESPONDED,
                        f"Returned to the MASH by {team}",
                        byline=_name(hand_on.responded_by),
                        details=[Detail("Reason", hand_on.return_reason)] if sees_returns else [],
                    )
                )
        return items

    def notes(self) -> list[TimelineItem]:
        items = []
        for note in self.entry.notes:
            details = [Detail("Note", note.text)]
            later = [each for each in note.corrected_by.all()]
            if later:
                details.append(
                    Detail("Corrected by", ", ".join(when_text(each.created_at) for each in later))
                )
            title = f"Case note: {note.get_note_type_display()}"
            if note.corrects_id:
                title += " (a correction)"
            items.append(
                self._item(
                    note.created_at, NOTED, title, byline=_name(note.author), details=details
                )
            )
        return items

    def all(self) -> list[TimelineItem]:
        return [
            *self.notes(),
            self.received(),
            *self.ratings(),
            *self.checks_requested(),
            *self.checks_answered(),
            *self.decisions(),
            *self.hand_ons(),
        ]


@dataclass(frozen=True)
class ChronologyPage:
    chronology: ChildChronology
    # Whether the viewer may open a contact's own page from the timeline.
    links_to_contacts: bool

    @cached_property
    def child(self) -> PersonPresenter:
        return PersonPresenter(self.chronology.person, timezone.localdate(self.chronology.now))

    @property
    def contacts_in_12_months(self) -> str:
        return plural(self.chronology.contacts_in_12_months, "contact")

    @property
    def contacts_in_all(self) -> str:
        return plural(len(self.chronology.contacts), "contact")

    @property
    def identifier_conflict_notice(self) -> str:
        """Says that records sharing the child's number were left out, while a screener
        has not decided whether they are this child (no detail of them: the page is seen
        across the fire wall)."""
        count = self.chronology.open_conflicts
        if not count:
            return ""
        records = "A record" if count == 1 else f"{count} records"
        shares = "shares" if count == 1 else "share"
        return (
            f"{records} about another child {shares} an NHS number or unique pupil number "
            "with this child, but the names or dates of birth differ. "
            f"{'It is' if count == 1 else 'They are'} left out of this chronology until a "
            "MASH screener decides whether they are the same child."
        )

    @property
    def early_warning(self) -> str:
        """The banner's words, or '' when none of the area's cumulative-concern rules
        fires; the flags themselves are listed under it."""
        if not self.chronology.early_warning:
            return ""
        return "Cumulative concern: consider the pattern, not just this contact."

    @property
    def concern_flags(self) -> list[ConcernFlagRow]:
        return [ConcernFlagRow(flag) for flag in self.chronology.concern_flags]

    @property
    def shows_findings(self) -> str:
        """What the viewer is told about the agencies' findings they cannot see."""
        scope = self.chronology.scope
        if scope.all_findings:
            return ""
        if scope.screening:
            return (
                "You see your own agency's findings. What other agencies found is seen "
                "only by the MASH."
            )
        return "What the agencies in the MASH found is seen only by the MASH."

    @property
    def corrected(self) -> list[str]:
        """The child's details as corrected on the record the chronology is opened from,
        one line a correction: "Date of birth and NHS number corrected by Sam Tester,
        5 Dec 2026 10:15"."""
        return [
            f"{row.fields} corrected by {row.by}, {row.at}"
            for row in map(CorrectionRow, self.chronology.own_corrections)
        ]

    def _href(self, reference: str) -> str:
        if not self.links_to_contacts:
            return ""
        return reverse("contacts:detail", kwargs={"reference": reference})

    def _correction_items(self) -> list[TimelineItem]:
        """One entry a correction of the child's details on any of the contacts. The MASH
        sees each detail from what to what, and why; others see which details were
        corrected (the earlier values may be another child's, and the reason may repeat
        what an agency found)."""
        items = []
        mash = self.chronology.scope.all_findings
        for correction in self.chronology.corrections:
            row = CorrectionRow(correction)
            details = (
                [
                    Detail(change.label, f"{change.before} to {change.after}")
                    for change in row.changes
                ]
                + [Detail("Reason", row.reason)]
                if mash
                else [Detail("Details corrected", row.fields)]
            )
            reference = correction.person.contact.reference
            items.append(
                TimelineItem(
                    at=correction.corrected_at,
                    step=CORRECTED,
                    title="Details corrected",
                    reference=reference,
                    contact_href=self._href(reference),
                    byline=row.by,
                    details=details,
                )
            )
        return items

    @cached_property
    def items(self) -> list[TimelineItem]:
        items = []
        for entry in self.chronology.contacts:
            href = self._href(entry.contact.reference)
            items += _ContactItems(entry, self.chronology.scope, href).all()
        items += self._correction_items()
        items.sort(key=lambda item: (item.at, item.step), reverse=True)
        return items
