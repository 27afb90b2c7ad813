from django.urls import path

from openmash.accounts.administration import views

app_name = "user-admin"
urlpatterns = [
    path("users/", views.user_list_view, name="users"),
    path("users/new/", views.user_add_view, name="user-add"),
    path("users/<int:user_id>/", views.user_view, name="user"),
    path("users/<int:user_id>/change/", views.user_change_view, name="user-change"),
    path("users/<int:user_id>/roles/", views.user_roles_view, name="user-roles"),
    path("users/<int:user_id>/deactivate/", views.user_deactivate_view, name="user-deactivate"),
    path("users/<int:user_id>/reactivate/", views.user_reactivate_view, name="user-reactivate"),
    path("roles/", views.roles_view, name="roles"),
]
