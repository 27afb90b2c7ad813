"""Who receives an event: a receiving team (for a hand-on and the decision behind it) or an
agency (the referrer's, for the outcome fed back to it; an agency invited to a strategy
discussion), and which agency's API token reads a receiving team's events.

A strategy discussion's events go to children's social care as a receiving team (its case
system holds the child's record, as for a hand-on) and to each other invited agency by
agency; children's social care's own agency, invited, is not sent a second copy: its
system reads the team's events.

An area has one agency of each receiving type (its children's social care, its early help
service, its police force): that agency's system reads its team's events through the API
feed. A receiving team with no agency in OpenMASH (another local authority) receives its
events only at the endpoints configured for the team.
"""

from openmash.accounts.models import Agency
from openmash.area.models import HandOnTeam
from openmash.core.roles import AgencyType

TEAM_AGENCY_TYPE: dict[str, str] = {
    HandOnTeam.EARLY_HELP: AgencyType.EARLY_HELP,
    HandOnTeam.CHILDRENS_SOCIAL_CARE: AgencyType.CHILDRENS_SOCIAL_CARE,
    # The child's allocated social worker works in children's social care.
    HandOnTeam.ALLOCATED_WORKER: AgencyType.CHILDRENS_SOCIAL_CARE,
    HandOnTeam.POLICE: AgencyType.POLICE,
}
# Teams an event can be addressed to (everyone but "nobody").
RECEIVING_TEAMS = [team for team in HandOnTeam if team != HandOnTeam.NONE]


def teams_received_by(agency: Agency) -> list[str]:
    """The receiving teams whose events the agency's system reads."""
    return [team for team, kind in TEAM_AGENCY_TYPE.items() if kind == agency.agency_type]


# The receiving team every strategy discussion's events go to.
STRATEGY_TEAM = HandOnTeam.CHILDRENS_SOCIAL_CARE


def agency_reads_strategy_as_team(agency: Agency) -> bool:
    """Whether the agency's system reads the strategy team's events (so is not sent
    its own copy)."""
    return STRATEGY_TEAM in teams_received_by(agency)


def strategy_team_agency_ids() -> set[int]:
    """The agencies that are children's social care: whose invitations and actions the
    team's events are cut by."""
    return set(
        Agency.objects.filter(agency_type=TEAM_AGENCY_TYPE[STRATEGY_TEAM]).values_list(
            "pk", flat=True
        )
    )
