"""The service navigation: a few task groups on one line, each opening its first page the
user may use, and the group's pages as a sub-navigation on every page of the group.

One name for each thing everywhere (docs/GLOSSARY.md): a link's label here is the heading
of the page it opens."""

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

# Each group's pages: (permission, label, URL name), in the order the group lists them.
GROUPS: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "Casework",
        [
            ("enquiries.view_screening_queue", "Screening queue", "enquiries:screening-queue"),
            ("enquiries.view_decisions_queue", "Decisions", "enquiries:decision-queue"),
            ("enquiries.view_agency_checks", "Agency checks", "enquiries:check-queue"),
            ("enquiries.allocate_checks", "Allocate checks", "enquiries:check-allocation"),
            ("enquiries.view_hand_on_queue", "Handed on", "enquiries:hand-on-queue"),
            ("strategy.view_discussions", "Strategy discussions", "strategy:discussions"),
        ],
    ),
    ("Find a child", [("enquiries.find_child", "Find a child", "enquiries:find-child")]),
    (
        "Contacts",
        [
            ("contacts.submit_contact", "Make a contact", "contacts:create"),
            ("contacts.view_submitted_contacts", "Your contacts", "contacts:submitted"),
        ],
    ),
    (
        "Reports",
        [
            ("metrics.view_dashboard", "Performance", "metrics:dashboard"),
            ("value.view_value_for_money", "Value for money", "value:summary"),
            ("contacts.view_contact_figures", "Contacts received", "contacts:figures"),
            ("linkage.view_match_quality", "Match quality", "linkage:match-quality"),
            ("extracts.download_extracts", "Extracts", "extracts:index"),
            ("planner.view_scenarios", "Capacity planning", "planner:scenarios"),
        ],
    ),
    (
        "Administration",
        [
            ("accounts.manage_users", "Users", "user-admin:users"),
            ("accounts.manage_users", "Roles", "user-admin:roles"),
            ("two_factor.manage_exemptions", "Two-factor exemptions", "two_factor:exemptions"),
            ("linkage.import_index_feed", "Index feed", "linkage:import-upload"),
            ("contacts.view_access_log", "Access log", "contacts:access-log-search"),
            ("governance.subject_access", "Subject access requests", "governance:subject-access"),
            ("governance.view_retention", "Retention schedule", "governance:retention"),
            ("core.view_audit_integrity", "Audit log integrity", "core:audit-integrity"),
            ("events.manage_endpoints", "Event endpoints", "events:endpoints"),
            ("events.view_failed_deliveries", "Failed deliveries", "events:failed-deliveries"),
        ],
    ),
]
# Pages of a group that are not in its list but belong to it (the current group is the
# one whose pages' addresses match most of the path), e.g. a contact's screening page.
GROUP_PREFIXES = {"Casework": ("/mash/",)}


@dataclass
class NavLink:
    label: str
    href: str
    active: bool = False
    # "page" when the link opens the page shown, "true" on a page within its section
    # (a board report within Value for money), as GOV.UK's navigation marks them.
    current: str = ""


@dataclass
class NavGroup:
    """One item of the service navigation: a group's label (its only page's label when it
    has one page) opening the group's first page."""

    name: str  # the group's own name, whatever its label
    label: str
    links: list[NavLink] = field(default_factory=list)
    active: bool = False

    @property
    def href(self) -> str:
        return self.links[0].href


def navigation_groups(user: object) -> list[NavGroup]:
    groups: list[NavGroup] = []
    has_perm = getattr(user, "has_perm", None)
    if has_perm is None:
        return groups
    for label, pages in GROUPS:
        links = [
            NavLink(page_label, reverse(url_name))
            for permission, page_label, url_name in pages
            if has_perm(permission)
        ]
        if links:
            groups.append(NavGroup(label, links[0].label if len(links) == 1 else label, links))
    return groups


def _mark_active(groups: list[NavGroup], path: str) -> None:
    """The current page's link is the one whose address matches most of the path; its
    group is the current group."""
    best: tuple[int, NavGroup, NavLink | None] | None = None
    for group in groups:
        for link in group.links:
            if path.startswith(link.href) and (best is None or len(link.href) > best[0]):
                best = (len(link.href), group, link)
    if best is None:
        for group in groups:
            if any(path.startswith(prefix) for prefix in GROUP_PREFIXES.get(group.name, ())):
                best = (0, group, None)
    if best is not None:
        best[1].active = True
        if best[2] is not None:
            best[2].active = True
            best[2].current = "page" if path == best[2].href else "true"


def navigation(request: HttpRequest) -> dict[str, object]:
    """The service navigation the signed-in user may follow, and the current group's
    pages for the sub-navigation."""
    # No user on a request refused before the authentication middleware ran (a bad
    # Host header, a body too large): the error page shows no navigation.
    user = getattr(request, "user", None)
    groups: list[NavGroup] = []
    if user is not None and user.is_authenticated:
        groups = navigation_groups(user)
        _mark_active(groups, request.path)
    current = next((group for group in groups if group.active), None)
    return {
        "service_groups": groups,
        "sub_navigation": current.links if current is not None and len(current.links) > 1 else [],
        "sub_navigation_label": current.label if current is not None else "",
        "area_name": settings.MASH_AREA_NAME,
    }
