from django.urls import path

from openmash.core import views

app_name = "core"
urlpatterns = [
    path("health/", views.health_view, name="health"),
    # For load balancers and monitors: no slash, as they usually ask.
    path("healthz", views.healthz_view, name="healthz"),
    path("audit/integrity/", views.audit_integrity_view, name="audit-integrity"),
    path("audit/integrity/check/", views.audit_check_view, name="audit-check"),
]
