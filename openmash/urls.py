from django.contrib import admin
from django.urls import include, path

from openmash.api.v1 import api

urlpatterns = [
    path("", include("openmash.core.urls")),
    path("accounts/", include("openmash.accounts.urls")),
    path("contacts/", include("openmash.contacts.urls")),
    path("mash/", include("openmash.enquiries.urls")),
    path("index/", include("openmash.linkage.urls")),
    path("planning/", include("openmash.planner.urls")),
    path("metrics/", include("openmash.metrics.urls")),
    path("value/", include("openmash.value.urls")),
    path("extracts/", include("openmash.extracts.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
