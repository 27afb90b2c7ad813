from django.urls import path

from openmash.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in_view, name="sign-in"),
    path("sign-out/", views.sign_out_view, name="sign-out"),
]
