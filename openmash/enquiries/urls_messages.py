from django.urls import URLPattern, path

from openmash.enquiries.views import messages

# Routes for emails the mail server did not take, mounted under /mash/ in the "enquiries"
# namespace.
urlpatterns: list[URLPattern] = [
    path("emails/<int:message_id>/retry/", messages.message_retry_view, name="message-retry"),
]
