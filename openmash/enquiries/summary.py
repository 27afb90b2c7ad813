"""The MASH summary: what crosses the fire wall to the team a case is handed to.

Each agency researcher marks each finding (CheckFinding.onward_sharing) as released to
the receiving team in full (its summary, risk indicators and date of involvement), as a
summary the researcher writes (onward_summary only), or not at all; a released finding
carries the lawful basis for sharing it onward. Information "not to be disclosed outside
the MASH" (restricted_information) never crosses.

At decision the manager composes the summary (Decision.summary, worker_risks, the
released findings chosen, snapshotted in Decision.shared_findings) and may deliberately
share the rationale (Decision.rationale_shared); otherwise the rationale stays in the
MASH. The service refuses a summary that repeats text an agency did not release.

`hand_on_summary(hand_on)` is the one answer to "what may the receiving team see of this
case": every page, API response and event payload for a receiving team is built from it.
It checks no permission (the caller scopes who asks), reads only the hand-on, its decision
(with outcome and level of need) and its contact, and makes no query when those are
loaded with select_related.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from openmash.area.models import HandOnTeam, LevelOfNeed
from openmash.contacts.codes import LawfulBasis
from openmash.contacts.models import ContactPerson
from openmash.core.time_text import day_text
from openmash.enquiries.child_outcomes import children_of, highest_level, most_serious
from openmash.enquiries.models import CheckFinding, Decision, DecisionChild, HandOn, OnwardSharing

# A withheld text shorter than this is not looked for in what crosses (a word like "yes"
# or a name is not a quotation); longer ones are looked for whole and sentence by sentence.
SHORTEST_QUOTE = 15
_SENTENCES = re.compile(r"[.;:!?\n]+")


def is_released(finding: CheckFinding) -> bool:
    return finding.known and finding.onward_sharing in (OnwardSharing.FULL, OnwardSharing.SUMMARY)


def released_text(finding: CheckFinding) -> str:
    """The finding's text as its agency released it to the receiving team ("" if not)."""
    if not is_released(finding):
        return ""
    if finding.onward_sharing == OnwardSharing.SUMMARY:
        return finding.onward_summary
    parts = [finding.summary]
    if finding.risk_indicators:
        parts.append(f"Risk indicators: {finding.risk_indicators}")
    if finding.last_involvement_on:
        parts.append(f"Most recent involvement: {day_text(finding.last_involvement_on)}")
    return "\n".join(part for part in parts if part)


def withheld_texts(findings: Iterable[CheckFinding]) -> list[str]:
    """The sentences of these findings that their agencies did not release onward
    (restricted information always; the summary and risk indicators unless released in
    full), each normalised and long enough to be a quotation, leaving out any that a
    released text also says."""
    findings = list(findings)
    withheld: list[str] = []
    for finding in findings:
        withheld.append(finding.restricted_information)
        if not (is_released(finding) and finding.onward_sharing == OnwardSharing.FULL):
            withheld += [finding.summary, finding.risk_indicators]
    released = " ".join(_normal(released_text(finding)) for finding in findings)
    pieces = {
        piece
        for text in withheld
        for piece in (_normal(text), *(_normal(part) for part in _SENTENCES.split(text)))
        if len(piece) >= SHORTEST_QUOTE and piece not in released
    }
    return sorted(pieces)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def quotes_any(value: str, withheld: Sequence[str]) -> bool:
    """Whether `value` repeats any of the withheld sentences (case and spacing ignored)."""
    haystack = _normal(value)
    return bool(haystack) and any(piece in haystack for piece in withheld)


def shared_finding(finding: CheckFinding) -> dict[str, Any]:
    """A released finding as it crosses to the receiving team (stored on the decision)."""
    return {
        "finding": finding.pk,
        "agency_id": finding.agency_check.agency_id,
        "agency": finding.agency_check.agency.name,
        "person": finding.person.full_name,
        "person_id": finding.person_id,
        "sharing": finding.onward_sharing,
        "lawful_basis": finding.onward_lawful_basis,
        "text": released_text(finding),
    }


def suggested_findings(findings: Iterable[CheckFinding]) -> list[dict[str, Any]]:
    """What the manager may pass on: each released finding, as it would cross."""
    return [shared_finding(finding) for finding in findings if is_released(finding)]


def worker_risks_suggested(findings: Iterable[CheckFinding]) -> str:
    """The risk indicators agencies released in full, one line each, as a starting point
    for the risks to workers visiting the home."""
    return "\n".join(
        f"{finding.agency_check.agency.name} about {finding.person.full_name}: "
        f"{finding.risk_indicators}"
        for finding in findings
        if is_released(finding)
        and finding.onward_sharing == OnwardSharing.FULL
        and finding.risk_indicators
    )


def _children_for(decision: Decision, team: str) -> list[DecisionChild]:
    """The decision's children a hand-on to `team` concerns: those whose outcome goes to
    that team, or all of them when none's does (or there is no team)."""
    rows = children_of(decision)
    return [row for row in rows if team and row.outcome.hand_on_to == team] or rows


def findings_for(decision: Decision, children: Sequence[DecisionChild]) -> list[dict[str, Any]]:
    """The released findings the manager chose that may go with a hand-on about these
    children: every one but those about another child of the contact, decided apart and
    handed elsewhere (each team learns about its own children, and about the adults).
    Findings chosen before their person's id was kept are told apart by name."""
    here = {child.person_id for child in children}
    if not here:
        return list(decision.shared_findings)
    decided = {row.person_id: row.person.full_name for row in children_of(decision)}
    names_here = {name for pk, name in decided.items() if pk in here}
    names_elsewhere = {name for pk, name in decided.items() if pk not in here} - names_here

    def about_another_child(item: dict[str, Any]) -> bool:
        person_id = item.get("person_id")
        if person_id is None:
            return str(item.get("person", "")) in names_elsewhere
        return person_id in decided and person_id not in here

    return [item for item in decision.shared_findings if not about_another_child(item)]


def crossing_record(decision: Decision, team: str) -> dict[str, Any]:
    """What crossed, to whom and on what basis, for the audit log: ids and codes only,
    never the text."""
    return {
        "team": team,
        "findings": [
            {
                "finding": item["finding"],
                "agency": item["agency_id"],
                "sharing": item["sharing"],
                "lawful_basis": item["lawful_basis"],
            }
            for item in findings_for(decision, _children_for(decision, team))
        ],
        "summary": bool(decision.summary),
        "worker_risks": bool(decision.worker_risks),
        "rationale": decision.rationale_shared,
    }


@dataclass(frozen=True)
class SharedFinding:
    agency: str
    person: str
    text: str
    sharing: str
    lawful_basis: str

    @property
    def lawful_basis_label(self) -> str:
        basis = self.lawful_basis
        return LawfulBasis(basis).label if basis in LawfulBasis.values else basis


def level_text(level: LevelOfNeed | None) -> str:
    return f"Level {level.number}: {level.label}" if level else "Not recorded"


@dataclass(frozen=True)
class ChildOutcome:
    """One child's outcome, as the team it goes to (and the referrer) may see it."""

    person_id: int
    name: str
    outcome: str
    outcome_code: str
    next_steps: str
    level_of_need: str
    receiving_team: str


def child_outcome(child: DecisionChild) -> ChildOutcome:
    return ChildOutcome(
        person_id=child.person_id,
        name=child.person.full_name,
        outcome=child.outcome.label,
        outcome_code=child.outcome.code,
        next_steps=child.outcome.next_steps,
        level_of_need=level_text(child.level_of_need),
        receiving_team=child.receiving_team,
    )


@dataclass(frozen=True)
class HandOnSummary:
    """Exactly what the receiving team may see of the MASH's work on a case."""

    hand_on_id: int
    reference: str
    team: str
    team_label: str
    outcome: str
    outcome_code: str
    next_steps: str
    level_of_need: str
    receiving_team: str
    decided_at: datetime
    decided_by: str
    summary: str
    worker_risks: str
    findings: list[SharedFinding] = field(default_factory=list)
    # None unless the manager deliberately shared it.
    rationale: str | None = None
    # The children it concerns, each with their own outcome (ADR 0022); the outcome and
    # level of need above are the most serious of theirs.
    children: list[ChildOutcome] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (decided_at as ISO 8601), for API responses and event payloads."""
        data = asdict(self)
        data["decided_at"] = self.decided_at.isoformat()
        return data


def decision_summary(
    decision: Decision,
    *,
    hand_on_id: int,
    reference: str,
    team: str,
    children: Sequence[DecisionChild] | None = None,
) -> HandOnSummary:
    """The summary as it goes to `team` about `children` (the decision's children whose
    outcome goes to `team` when not given; all of them when no child's does, or `team`
    is empty)."""
    if children is None:
        children = _children_for(decision, team)
    if children:
        worst = most_serious(children)
        outcome, level = worst.outcome, highest_level(child.level_of_need for child in children)
        receiving_team = worst.receiving_team
    else:
        outcome, level = decision.outcome, decision.level_of_need
        receiving_team = decision.receiving_team
    return HandOnSummary(
        hand_on_id=hand_on_id,
        reference=reference,
        team=team,
        team_label=HandOnTeam(team).label if team in HandOnTeam.values else team,
        outcome=outcome.label,
        outcome_code=outcome.code,
        next_steps=outcome.next_steps,
        level_of_need=level_text(level),
        receiving_team=receiving_team,
        decided_at=decision.decided_at,
        decided_by=decision.decided_by.display_name if decision.decided_by_id else "",
        summary=decision.summary,
        worker_risks=decision.worker_risks,
        findings=[
            SharedFinding(
                agency=str(item.get("agency", "")),
                person=str(item.get("person", "")),
                text=str(item.get("text", "")),
                sharing=str(item.get("sharing", "")),
                lawful_basis=str(item.get("lawful_basis", "")),
            )
            for item in findings_for(decision, children)
        ],
        rationale=decision.rationale if decision.rationale_shared else None,
        children=[child_outcome(child) for child in children],
    )


def hand_on_summary(hand_on: HandOn) -> HandOnSummary:
    """What the receiving team may see of this hand-on: the MASH summary composed at
    decision, the released findings chosen (as their agencies released them), the
    risks to workers visiting the home, the outcome and level of need of the children it
    concerns (each child's own, and the most serious of them), and the rationale only if
    the manager chose to share it. Never an unreleased finding's text.

    Pure: no permission check and no audit (the caller does both); load the hand-on with
    select_related("contact", "decision__outcome", "decision__level_of_need",
    "decision__decided_by") and prefetch HAND_ON_CHILDREN to make it query-free.
    `.as_dict()` gives the JSON form."""
    concerned = {person.pk for person in hand_on.children.all()}
    rows = [row for row in children_of(hand_on.decision) if row.person_id in concerned]
    return decision_summary(
        hand_on.decision,
        hand_on_id=hand_on.pk,
        reference=hand_on.contact.reference,
        team=hand_on.team,
        children=rows,
    )


# What hand_on_summary reads beyond the select_related above: prefetch these.
HAND_ON_CHILDREN: tuple[str | Prefetch[Any], ...] = (
    Prefetch("children", queryset=ContactPerson.objects.order_by("position")),
    "decision__child_outcomes__outcome",
    "decision__child_outcomes__level_of_need",
    "decision__child_outcomes__person",
)
