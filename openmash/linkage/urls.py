from django.urls import URLPattern, path

from openmash.linkage import views

# The agency index feed pages, mounted under /index/ in the "linkage" namespace.
app_name = "linkage"
urlpatterns: list[URLPattern] = [
    path("imports/", views.import_history_view, name="import-history"),
    path("imports/new/", views.import_upload_view, name="import-upload"),
    path("imports/<int:import_id>/", views.import_detail_view, name="import-detail"),
    path("settings/", views.index_settings_view, name="index-settings"),
    path("quality/", views.match_quality_view, name="match-quality"),
]
