from django.urls import path

from openmash.strategy import views

app_name = "strategy"
urlpatterns = [
    path("", views.discussion_list_view, name="discussions"),
    path("contacts/<str:reference>/raise/", views.discussion_raise_view, name="raise"),
    path("<int:discussion_id>/", views.discussion_view, name="discussion"),
    path("<int:discussion_id>/attachments/", views.attachments_view, name="attachments"),
    path("attachments/<uuid:public_id>/", views.attachment_download_view, name="attachment"),
    path("<int:discussion_id>/schedule/", views.schedule_view, name="schedule"),
    path("<int:discussion_id>/invite/", views.invite_view, name="invite"),
    path("<int:discussion_id>/attendance/", views.attendance_view, name="attendance"),
    path("<int:discussion_id>/minutes/", views.minutes_view, name="minutes"),
    path("<int:discussion_id>/decision/", views.outcome_view, name="outcome"),
    path("<int:discussion_id>/actions/new/", views.action_add_view, name="action-add"),
    path(
        "<int:discussion_id>/actions/<int:action_id>/done/",
        views.action_done_view,
        name="action-done",
    ),
]
