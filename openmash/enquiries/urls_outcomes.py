"""The contact pages that show the MASH's outcome (openmash/enquiries/views/outcomes.py).

Named and addressed as contact pages: openmash/urls.py joins these to the contacts app's
own patterns under one "contacts" namespace, after them, so the fixed addresses there
(new/, figures/) are matched before <reference>/ here.
"""

from django.urls import path

from openmash.enquiries.views import outcomes

urlpatterns = [
    path("submitted/", outcomes.submitted_contacts_view, name="submitted"),
    path("<str:reference>/", outcomes.contact_detail_view, name="detail"),
    path(
        "<str:reference>/add-information/",
        outcomes.contact_add_information_view,
        name="add-information",
    ),
]
