from django.urls import URLPattern

# Routes for the screening pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = []
