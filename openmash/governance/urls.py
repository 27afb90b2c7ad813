from django.urls import path

from openmash.governance import views

app_name = "governance"
urlpatterns = [
    path("retention/", views.retention_view, name="retention"),
    path(
        "retention/schedule/<str:record_type>/",
        views.retention_rule_view,
        name="retention-rule",
    ),
    path("retention/holds/new/", views.hold_place_view, name="hold-place"),
    path("retention/holds/<int:hold_id>/release/", views.hold_release_view, name="hold-release"),
    path("subject-access/", views.subject_access_view, name="subject-access"),
    path(
        "subject-access/search/<str:search_id>/",
        views.subject_access_search_view,
        name="subject-access-search",
    ),
    path(
        "subject-access/<uuid:public_id>/",
        views.subject_access_export_view,
        name="subject-access-export",
    ),
    path(
        "subject-access/<uuid:public_id>/download/",
        views.subject_access_download_view,
        name="subject-access-download",
    ),
]
