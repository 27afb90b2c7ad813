from django.urls import path

from openmash.two_factor import views

app_name = "two_factor"
urlpatterns = [
    path("", views.manage_view, name="manage"),
    path("verify/", views.verify_view, name="verify"),
    path("set-up/", views.set_up_view, name="set-up"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery-codes"),
    path("users/<int:user_id>/reset/", views.reset_view, name="reset"),
    path("exemptions/", views.exemptions_view, name="exemptions"),
]
