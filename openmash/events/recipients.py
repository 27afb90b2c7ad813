"""Who receives an event: a receiving team (for a hand-on and the decision behind it) or an
agency (the referrer's, for the outcome fed back to it), and which agency's API token reads
a receiving team's events.

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
