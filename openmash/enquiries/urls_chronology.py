from django.urls import URLPattern

# Routes for the chronology pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = []
