from django.contrib import admin
from django.urls import include, path

from openmash.api.v1 import api
from openmash.contacts import urls as contact_urls
from openmash.enquiries import urls_outcomes

# The contact pages that show what the MASH decided are enquiries' (contacts sits below
# enquiries, docs/adr/0011-layering.md) but keep their contacts/ addresses and names.
# Outcome pages last: their contacts/<reference>/ must not catch contacts/new/.
contact_pages = ([*contact_urls.urlpatterns, *urls_outcomes.urlpatterns], contact_urls.app_name)

urlpatterns = [
    path("", include("openmash.core.urls")),
    path("accounts/", include("openmash.accounts.urls")),
    path("contacts/", include(contact_pages)),
    path("mash/", include("openmash.enquiries.urls")),
    path("events/", include("openmash.events.urls")),
    path("index/", include("openmash.linkage.urls")),
    path("planning/", include("openmash.planner.urls")),
    path("metrics/", include("openmash.metrics.urls")),
    path("value/", include("openmash.value.urls")),
    path("extracts/", include("openmash.extracts.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
