from django.urls import URLPattern, path

from openmash.enquiries.views import search

# Find a child, mounted under /mash/ in the "enquiries" namespace. The results' address
# holds an opaque id, never what was typed (views/search.py).
urlpatterns: list[URLPattern] = [
    path("find-a-child/", search.find_child_view, name="find-child"),
    path(
        "find-a-child/<str:search_id>/",
        search.find_child_results_view,
        name="find-child-results",
    ),
]
