from django.urls import URLPattern, path

from openmash.enquiries.views import allocation, hand_ons

# Routes for the receiving teams' hand-on pages, mounted under /mash/ in the "enquiries"
# namespace.
urlpatterns: list[URLPattern] = [
    path("hand-ons/", hand_ons.hand_on_queue_view, name="hand-on-queue"),
    path("hand-ons/assign/", hand_ons.hand_on_queue_assign_view, name="hand-on-queue-assign"),
    path("hand-ons/<int:hand_on_id>/", hand_ons.hand_on_view, name="hand-on"),
    path(
        "hand-ons/<int:hand_on_id>/assign/", allocation.hand_on_assign_view, name="hand-on-assign"
    ),
    path("hand-ons/<int:hand_on_id>/accept/", hand_ons.hand_on_accept_view, name="hand-on-accept"),
    path("hand-ons/<int:hand_on_id>/return/", hand_ons.hand_on_return_view, name="hand-on-return"),
]
