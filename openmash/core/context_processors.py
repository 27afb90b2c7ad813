from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def navigation(request: HttpRequest) -> dict[str, object]:
    """The service navigation links the signed-in user may follow."""
    user = request.user
    links: list[dict[str, str]] = []
    if user.is_authenticated:
        candidates = [
            ("enquiries.view_screening_queue", "Screening queue", "enquiries:screening-queue"),
            ("enquiries.find_child", "Find a child", "enquiries:find-child"),
            ("contacts.view_new_contacts", "New contacts", "contacts:new-contacts"),
            ("enquiries.view_decisions_queue", "Decisions", "enquiries:decision-queue"),
            ("enquiries.view_agency_checks", "Agency checks", "enquiries:check-queue"),
            ("enquiries.view_hand_on_queue", "Handed on", "enquiries:hand-on-queue"),
            ("linkage.import_index_feed", "Index feed", "linkage:import-upload"),
            ("contacts.submit_contact", "Make a contact", "contacts:create"),
            ("contacts.view_submitted_contacts", "Your contacts", "contacts:submitted"),
            ("contacts.view_contact_figures", "Figures", "contacts:figures"),
            ("metrics.view_dashboard", "Performance", "metrics:dashboard"),
            ("value.view_value_for_money", "Value for money", "value:summary"),
            ("linkage.view_match_quality", "Match quality", "linkage:match-quality"),
            ("extracts.download_extracts", "Extracts", "extracts:index"),
            ("planner.view_scenarios", "Capacity planning", "planner:scenarios"),
            ("contacts.view_access_log", "Access log", "contacts:access-log-search"),
            ("core.view_audit_integrity", "Audit log integrity", "core:audit-integrity"),
            ("events.manage_endpoints", "Event endpoints", "events:endpoints"),
            (
                "events.view_failed_deliveries",
                "Failed deliveries",
                "events:failed-deliveries",
            ),
        ]
        for permission, label, url_name in candidates:
            if user.has_perm(permission):
                links.append({"label": label, "href": reverse(url_name), "active": ""})
        # The current page's link is the one whose address matches most of the path.
        matching = [link for link in links if request.path.startswith(link["href"])]
        if matching:
            max(matching, key=lambda link: len(link["href"]))["active"] = "True"
    return {"service_links": links, "area_name": settings.MASH_AREA_NAME}
