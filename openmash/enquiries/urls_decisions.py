from django.urls import URLPattern

# Routes for the decisions pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = []
