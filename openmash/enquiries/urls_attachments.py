from django.urls import URLPattern, path

from openmash.enquiries.views import attachments

# Routes for files on contacts, checks and notes, mounted under /mash/ in the "enquiries"
# namespace. A file is named in a URL only by its random public id.
urlpatterns: list[URLPattern] = [
    path(
        "contacts/<str:reference>/attachments/",
        attachments.contact_attachments_view,
        name="contact-attachments",
    ),
    path(
        "checks/<int:check_id>/attachments/",
        attachments.check_attachments_view,
        name="check-attachments",
    ),
    path(
        "attachments/<uuid:public_id>/",
        attachments.attachment_download_view,
        name="attachment",
    ),
]
