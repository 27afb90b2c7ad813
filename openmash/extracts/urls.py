from django.urls import path

from openmash.extracts import views

app_name = "extracts"
urlpatterns = [
    path("", views.extracts_view, name="index"),
    path("download/", views.extract_download_view, name="download"),
]
