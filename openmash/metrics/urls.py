from django.urls import path

from openmash.metrics import views

app_name = "metrics"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path(
        "tables/<slug:indicator>/<int:number>.<slug:export_format>",
        views.table_download_view,
        name="table-download",
    ),
    path("before-and-after/", views.evaluation_view, name="evaluation"),
    path(
        "before-and-after/by-level-of-need/",
        views.evaluation_london_view,
        name="evaluation-london",
    ),
    path(
        "charts/<slug:chart>.<slug:file_format>",
        views.chart_download_view,
        name="chart-download",
    ),
]
