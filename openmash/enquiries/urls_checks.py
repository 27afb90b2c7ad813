from django.urls import URLPattern

# Routes for the checks pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = []
