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
    path("", include("openmash.home.urls")),
    path("", include("openmash.core.urls")),
    path("accounts/", include("openmash.accounts.urls")),
    path("accounts/two-factor/", include("openmash.two_factor.urls")),
    path("contacts/", include(contact_pages)),
    path("mash/", include("openmash.enquiries.urls")),
    path("events/", include("openmash.events.urls")),
    path("strategy-discussions/", include("openmash.strategy.urls")),
    path("index/", include("openmash.linkage.urls")),
    path("planning/", include("openmash.planner.urls")),
    path("metrics/", include("openmash.metrics.urls")),
    path("value/", include("openmash.value.urls")),
    path("extracts/", include("openmash.extracts.urls")),
    path("governance/", include("openmash.governance.urls")),
    path("administration/", include("openmash.accounts.administration.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# GOV.UK-styled error pages, never a traceback (openmash/core/error_pages.py).
handler400 = "openmash.core.error_pages.bad_request"
handler403 = "openmash.core.error_pages.permission_denied"
handler404 = "openmash.core.error_pages.page_not_found"
handler500 = "openmash.core.error_pages.server_error"
