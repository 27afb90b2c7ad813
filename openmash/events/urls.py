from django.urls import path

from openmash.events import views

app_name = "events"
urlpatterns = [
    path("endpoints/", views.endpoint_list_view, name="endpoints"),
    path("endpoints/new/", views.endpoint_create_view, name="endpoint-create"),
    path("endpoints/<int:endpoint_id>/", views.endpoint_edit_view, name="endpoint-edit"),
    path("deliveries/failed/", views.failed_deliveries_view, name="failed-deliveries"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry_view, name="delivery-retry"),
]
