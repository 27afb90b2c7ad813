from django.urls import URLPattern, path

from openmash.enquiries.views import decisions

# Routes for the decisions pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = [
    path("decisions/", decisions.decision_queue_view, name="decision-queue"),
    path("contacts/<str:reference>/decision/", decisions.decision_view, name="decision"),
    path(
        "contacts/<str:reference>/decision/amend/",
        decisions.decision_amend_view,
        name="decision-amend",
    ),
    path(
        "closure-proposals/<int:proposal_id>/agree/",
        decisions.closure_agree_view,
        name="closure-agree",
    ),
    path(
        "closure-proposals/<int:proposal_id>/decline/",
        decisions.closure_decline_view,
        name="closure-decline",
    ),
]
