from django.urls import path

from openmash.contacts import views

# Joined in openmash/urls.py with the pages that show the MASH's outcome
# (openmash/enquiries/urls_outcomes.py), which share the "contacts" namespace.
app_name = "contacts"
urlpatterns = [
    path("", views.new_contacts_view, name="new-contacts"),
    path("new/", views.contact_create_view, name="create"),
    path("new/draft/", views.contact_draft_autosave_view, name="draft-autosave"),
    path("new/discard/", views.contact_draft_discard_view, name="draft-discard"),
    path("figures/", views.contact_figures_view, name="figures"),
    path("<str:reference>/received/", views.contact_received_view, name="received"),
]
urlpatterns += [
    path("access-log/search/", views.access_log_search_view, name="access-log-search"),
    path(
        "access-log/search/<str:search_id>/",
        views.access_log_results_view,
        name="access-log-results",
    ),
    path("access-log/people/<int:person_id>/", views.access_log_view, name="access-log"),
]
