from django.urls import URLPattern, path

from openmash.enquiries.views import allocation, checks

# Routes for the checks pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = [
    path("checks/", checks.check_queue_view, name="check-queue"),
    path("checks/<int:check_id>/", checks.check_view, name="check"),
    path("checks/<int:check_id>/waive/", checks.check_waive_view, name="check-waive"),
    # Allocation (issue 13, item 4): a MASH manager gives an agency's checks to its
    # researchers, several at once from the agency's queue or one on its own page.
    path("checks/allocate/", allocation.check_allocation_view, name="check-allocation"),
    path(
        "checks/allocate/assign/",
        allocation.check_allocation_assign_view,
        name="check-allocation-assign",
    ),
    path("checks/<int:check_id>/assign/", allocation.check_assign_view, name="check-assign"),
]
