from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from openmash.core.audit import Actor
from openmash.core.context_processors import navigation_groups
from openmash.core.permissions import requires
from openmash.enquiries.selectors.decisions import hand_on_teams_for
from openmash.home.selectors import (
    Section,
    checks_section,
    decisions_section,
    hand_ons_section,
    referrer_section,
    screening_section,
)

# The groups whose pages a home page lists as the person's tools: the work itself is
# counted in the sections above them.
TOOL_GROUPS = ("Reports", "Administration")


@requires("core.view_home")
def home_view(request: HttpRequest) -> HttpResponse:
    """The signed-in person's work: for each role they hold, what waits, what is late and
    the most urgent item, then their tools."""
    user = request.user
    assert user.is_authenticated  # core.view_home is for signed-in users only
    actor = Actor.from_request(request)
    now = timezone.now()
    sections: list[Section] = []
    if user.has_perm("enquiries.view_screening_queue"):
        sections.append(screening_section(actor=actor, user=user, now=now))
    if user.has_perm("enquiries.view_decisions_queue"):
        sections.append(decisions_section(user=user, now=now))
    if user.has_perm("enquiries.view_agency_checks") and user.agency_id is not None:
        sections.append(checks_section(actor=actor, user=user, agency_id=user.agency_id, now=now))
    if user.has_perm("enquiries.view_hand_on_queue") and hand_on_teams_for(user):
        sections.append(hand_ons_section(actor=actor, user=user, now=now))
    if user.has_perm("contacts.view_submitted_contacts"):
        sections.append(referrer_section(user=user, now=now))
    tools = [
        link
        for group in navigation_groups(user)
        if group.name in TOOL_GROUPS
        for link in group.links
    ]
    roles = sorted(grant.get_role_display() for grant in user.role_grants.all())
    return render(
        request,
        "home/home.html",
        {"sections": sections, "tools": tools, "roles": roles, "now": now},
    )
