from django.urls import path

from openmash.value import views

app_name = "value"
urlpatterns = [
    path("", views.value_view, name="summary"),
    path("board-report/", views.board_report_view, name="board-report"),
    path("board-report/pdf/", views.board_report_pdf_view, name="board-report-pdf"),
]
