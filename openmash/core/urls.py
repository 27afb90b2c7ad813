from django.urls import path

from openmash.core import views

app_name = "core"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("health/", views.health_view, name="health"),
    path("audit/integrity/", views.audit_integrity_view, name="audit-integrity"),
    path("audit/integrity/check/", views.audit_check_view, name="audit-check"),
]
