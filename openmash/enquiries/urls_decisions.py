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
    path("checks/<int:check_id>/waive/", decisions.check_waive_view, name="check-waive"),
    path("emails/<int:message_id>/retry/", decisions.message_retry_view, name="message-retry"),
    path("hand-ons/", decisions.hand_on_queue_view, name="hand-on-queue"),
    path("hand-ons/<int:hand_on_id>/", decisions.hand_on_view, name="hand-on"),
    path("hand-ons/<int:hand_on_id>/accept/", decisions.hand_on_accept_view, name="hand-on-accept"),
    path("hand-ons/<int:hand_on_id>/return/", decisions.hand_on_return_view, name="hand-on-return"),
]
