from django.urls import URLPattern, path

from openmash.planner import views
from openmash.planner.forms import PART_FORMS

# Capacity planning, mounted under /planning/ in the "planner" namespace.
app_name = "planner"
urlpatterns: list[URLPattern] = [
    path("", views.scenario_list_view, name="scenarios"),
    path("calibrate/", views.calibrate_view, name="calibrate"),
    path("replay/", views.replay_view, name="replay"),
    path("compare/", views.compare_view, name="compare"),
    path("scenarios/<int:scenario_id>/", views.scenario_view, name="scenario"),
    path(
        "scenarios/<int:scenario_id>/scenario.json", views.scenario_json_view, name="scenario-json"
    ),
    path("scenarios/<int:scenario_id>/copy/", views.scenario_copy_view, name="copy"),
    path("scenarios/<int:scenario_id>/run/", views.run_start_view, name="run-start"),
    path("scenarios/<int:scenario_id>/recommend/", views.recommend_view, name="recommend"),
    *[
        path(
            f"scenarios/<int:scenario_id>/{part}/",
            views.scenario_edit_view,
            {"part": part},
            name=f"edit-{part}",
        )
        for part in PART_FORMS
    ],
    path("runs/<int:run_id>/", views.run_view, name="run"),
    path(
        "runs/<int:run_id>/adopt/",
        views.adopt_recommendation_view,
        name="adopt-recommendation",
    ),
    path("runs/<int:run_id>/progress.json", views.run_progress_view, name="run-progress"),
    path("runs/<int:run_id>/queues.svg", views.run_queues_svg_view, name="run-queues-svg"),
]
