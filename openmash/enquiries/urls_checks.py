from django.urls import URLPattern, path

from openmash.enquiries.views import checks

# Routes for the checks pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = [
    path("checks/", checks.check_queue_view, name="check-queue"),
    path("checks/<int:check_id>/", checks.check_view, name="check"),
    path("checks/<int:check_id>/waive/", checks.check_waive_view, name="check-waive"),
]
