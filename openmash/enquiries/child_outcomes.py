"""An outcome per child (ADR 0022): which of a decision's children is the most serious,
and which children go to which team. Plain rules over DecisionChild rows, shared by the
services that write decisions and everything that shows or sends them.

The most serious child is the one whose outcome is of the most serious kind (strategy
discussion, then assessment, then the area's other outcomes such as police action or a
transfer, then early help, information and advice, no further action); between two of
the same kind, the higher level of need, then the outcome later in the area's order,
then the child named first. A decision's own outcome, primary need and receiving team
are that child's, and its level of need the highest of any child's, so code that reads
one outcome per contact reads the most serious one.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome, OutcomeKind
from openmash.contacts.models import ContactPerson
from openmash.enquiries.models import Decision, DecisionChild, HandOn, HandOnState

# Higher is more serious.
KIND_RANK: dict[str, int] = {
    OutcomeKind.NO_FURTHER_ACTION: 0,
    OutcomeKind.INFORMATION_ADVICE: 1,
    OutcomeKind.EARLY_HELP: 2,
    OutcomeKind.OTHER: 3,
    OutcomeKind.ASSESSMENT: 4,
    OutcomeKind.STRATEGY_DISCUSSION: 5,
}


def seriousness(
    outcome: Outcome, level: LevelOfNeed | None, position: int
) -> tuple[int, int, int, int]:
    return (
        KIND_RANK.get(outcome.kind, KIND_RANK[OutcomeKind.OTHER]),
        level.number if level is not None else 0,
        outcome.order,
        -position,
    )


def most_serious(children: Sequence[DecisionChild]) -> DecisionChild:
    """The most serious of a decision's children (see the module docstring); needs each
    row's outcome, level_of_need and person."""
    return max(
        children,
        key=lambda child: seriousness(child.outcome, child.level_of_need, child.person.position),
    )


def highest_level(levels: Iterable[LevelOfNeed | None]) -> LevelOfNeed | None:
    known = [level for level in levels if level is not None]
    return max(known, key=lambda level: level.number) if known else None


def children_of(decision: Decision) -> list[DecisionChild]:
    """The decision's child rows in the order the contact names the children: the
    prefetched ones when there are (prefetch `child_outcomes` with outcome, level_of_need and
    person), otherwise one query."""
    rows = list(decision.child_outcomes.all())
    return sorted(rows, key=lambda child: child.person.position)


def children_to(children: Iterable[DecisionChild], team: str) -> list[DecisionChild]:
    """The children whose outcome hands them to `team`."""
    return [child for child in children if child.outcome.hand_on_to == team]


def is_per_child(children: Sequence[DecisionChild]) -> bool:
    """Whether the children's outcomes differ in anything a page would show: if they do
    not, one outcome is shown for the contact, as before there were several."""
    return (
        len(
            {
                (
                    child.outcome_id,
                    child.level_of_need_id,
                    child.primary_need,
                    child.receiving_team,
                )
                for child in children
            }
        )
        > 1
    )


@dataclass(frozen=True)
class ToldToReferrer:
    """What the referrer is told of one child: their outcome (with its next steps) and,
    once the child is handed on, whether the team accepted them and who it named. Never
    what the agencies found, the rationale or the level of need."""

    person: ContactPerson
    outcome: Outcome
    # The latest hand-on naming the child that was not withdrawn.
    hand_on: HandOn | None

    @property
    def team(self) -> str:
        return HandOnTeam(self.hand_on.team).label if self.hand_on is not None else ""

    @property
    def is_accepted(self) -> bool:
        return self.hand_on is not None and self.hand_on.state == HandOnState.ACCEPTED


def told_to_referrer(decision: Decision, hand_ons: Sequence[HandOn]) -> list[ToldToReferrer]:
    """Each child's outcome in the decision, for the referrer (hand_ons newest first, none
    withdrawn, each with its children prefetched)."""
    told = []
    for child in children_of(decision):
        hand_on = next(
            (
                hand_on
                for hand_on in hand_ons
                if hand_on.team != HandOnTeam.ALLOCATED_WORKER
                and hand_on.state != HandOnState.WITHDRAWN
                and any(person.pk == child.person_id for person in hand_on.children.all())
            ),
            None,
        )
        told.append(ToldToReferrer(person=child.person, outcome=child.outcome, hand_on=hand_on))
    return told
