from django.urls import URLPattern, path

from openmash.enquiries.views import chronology

# Routes for the chronology pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = [
    path(
        "children/<int:person_id>/",
        chronology.child_chronology_view,
        name="child-chronology",
    ),
]
