from openmash.enquiries import (
    urls_attachments,
    urls_checks,
    urls_chronology,
    urls_decisions,
    urls_hand_ons,
    urls_messages,
    urls_screening,
    urls_search,
)

app_name = "enquiries"
urlpatterns = [
    *urls_screening.urlpatterns,
    *urls_checks.urlpatterns,
    *urls_decisions.urlpatterns,
    *urls_messages.urlpatterns,
    *urls_hand_ons.urlpatterns,
    *urls_chronology.urlpatterns,
    *urls_search.urlpatterns,
    *urls_attachments.urlpatterns,
]
