"""The capacity planning pages: scenarios, calibration, editing by hand, runs with their
progress and results, the staffing recommendation, the replay of a recorded period and
the comparison of runs. Managers (and administrators) plan; analysts may look."""

import json
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.planner import presenters
from openmash.planner.calibration import CalibrationError
from openmash.planner.forms import (
    PART_FORMS,
    CalibrationForm,
    NameForm,
    ReplayForm,
    TargetsForm,
    part_form,
)
from openmash.planner.models import RunKind, RunState
from openmash.planner.selectors import (
    MAX_COMPARED,
    comparable_runs,
    last_targets,
    run_get,
    run_progress_get,
    runs_for_comparison,
    scenario_get,
    scenario_list,
    scenario_runs,
)
from openmash.planner.services import (
    NotARecommendation,
    ScenarioChanged,
    recommendation_start,
    replay_start,
    run_start,
    scenario_copy,
    scenario_create_from_records,
    scenario_from_recommendation,
    scenario_update,
    scenario_version,
)

VIEW = "planner.view_scenarios"
MANAGE = "planner.manage_scenarios"
# How often the run page's script asks for progress (milliseconds).
POLL_MS = 2000
# The most recent runs offered for comparison.
COMPARE_CHOICES = 50


def _today() -> date:
    return timezone.localdate()


def _can_manage(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(MANAGE))


@requires(VIEW)
@require_GET
def scenario_list_view(request: HttpRequest) -> HttpResponse:
    listings = scenario_list(actor=Actor.from_request(request))
    rows = []
    for listing in listings:
        scenario = listing.scenario
        rows.append(
            {
                "id": scenario.pk,
                "name": scenario.name,
                "based_on": scenario.based_on.name if scenario.based_on else "",
                "created": presenters.when_text(scenario.created_at),
                "by": scenario.created_by.display_name if scenario.created_by else "",
                "latest": presenters.run_row(listing.runs[0]) if listing.runs else None,
                "runs": len(listing.runs),
            }
        )
    finished = sum(
        1
        for listing in listings
        for run in listing.runs
        if run.state == RunState.FINISHED and run.kind != RunKind.RECOMMENDATION
    )
    return render(
        request,
        "planner/scenarios.html",
        {"rows": rows, "can_manage": _can_manage(request), "can_compare": finished >= 2},
    )


@requires(MANAGE)
@require_http_methods(["GET", "POST"])
def calibrate_view(request: HttpRequest) -> HttpResponse:
    today = _today()
    form = CalibrationForm(request.POST if request.method == "POST" else None, today=today)
    if request.method == "POST" and form.is_valid():
        period = form.period()
        try:
            scenario = scenario_create_from_records(
                actor=Actor.from_request(request),
                name=form.cleaned_data["name"],
                period=period,
                today=today,
            )
        except CalibrationError as error:
            form.add_error("start", str(error))
        else:
            messages.success(request, f"Scenario calibrated from {period.text()}")
            return redirect("planner:scenario", scenario_id=scenario.pk)
    return render(
        request,
        "planner/calibrate.html",
        {"form": form, "error_summary": error_summary(form)},
        status=400 if form.errors else 200,
    )


@requires(MANAGE)
@require_http_methods(["GET", "POST"])
def replay_view(request: HttpRequest) -> HttpResponse:
    today = _today()
    form = ReplayForm(request.POST if request.method == "POST" else None, today=today)
    if request.method == "POST" and form.is_valid():
        period = form.period()
        try:
            run = replay_start(actor=Actor.from_request(request), period=period, today=today)
        except CalibrationError as error:
            form.add_error("start", str(error))
        else:
            return redirect("planner:run", run_id=run.pk)
    return render(
        request,
        "planner/replay_form.html",
        {"form": form, "error_summary": error_summary(form)},
        status=400 if form.errors else 200,
    )


@requires(VIEW)
@require_GET
def scenario_view(request: HttpRequest, scenario_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    scenario = scenario_get(actor=actor, scenario_id=scenario_id)
    can_manage = _can_manage(request)
    return render(
        request,
        "planner/scenario.html",
        {
            "scenario": scenario,
            "view": presenters.scenario_view(scenario),
            "calibration": presenters.calibration_view(scenario),
            "runs": [
                presenters.run_row(run) for run in scenario_runs(actor=actor, scenario=scenario)
            ],
            "can_manage": can_manage,
        },
    )


@requires(VIEW)
@require_GET
def scenario_json_view(request: HttpRequest, scenario_id: int) -> HttpResponse:
    """The scenario as the engine reads it, for `manage.py capacity_plan --file`."""
    scenario = scenario_get(actor=Actor.from_request(request), scenario_id=scenario_id)
    response = HttpResponse(
        json.dumps(scenario.data, indent=2, sort_keys=True), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="scenario-{scenario.pk}.json"'
    return response


@requires(MANAGE)
@require_http_methods(["GET", "POST"])
def scenario_copy_view(request: HttpRequest, scenario_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    scenario = scenario_get(actor=actor, scenario_id=scenario_id)
    if request.method == "POST":
        form = NameForm(request.POST)
        if form.is_valid():
            copy = scenario_copy(
                actor=actor, scenario_id=scenario.pk, name=form.cleaned_data["name"]
            )
            messages.success(
                request, f"Copied {scenario.name} as {copy.name}: change what you want to try"
            )
            return redirect("planner:scenario", scenario_id=copy.pk)
    else:
        form = NameForm(initial={"name": f"{scenario.name} (copy)"})
    return render(
        request,
        "planner/copy.html",
        {"form": form, "scenario": scenario, "error_summary": error_summary(form)},
        status=400 if form.errors else 200,
    )


@requires(MANAGE)
@require_http_methods(["GET", "POST"])
def scenario_edit_view(request: HttpRequest, scenario_id: int, part: str) -> HttpResponse:
    if part not in PART_FORMS:
        raise Http404
    actor = Actor.from_request(request)
    scenario = scenario_get(actor=actor, scenario_id=scenario_id)
    form = part_form(
        part,
        scenario_data=scenario.data,
        calibration=scenario.calibration,
        multiplier=scenario.demand_multiplier,
        months=list(scenario.demand_months),
        today=_today(),
        version=scenario_version(scenario),
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        demand: dict[str, Any] = {}
        if part == "demand":
            demand = {
                "demand_multiplier": form.cleaned_data["multiplier"],
                "demand_months": form.cleaned_data["month_numbers"],
            }
        try:
            scenario_update(
                actor=actor,
                scenario_id=scenario.pk,
                part=part,
                data=form.scenario_data,
                version=form.cleaned_data["version"] or None,
                **demand,
            )
        except ScenarioChanged:
            # Keep what was typed; saving again saves it on the scenario as it is now.
            typed = request.POST.copy()
            typed["version"] = scenario_version(scenario)
            form.data = typed
            form.add_error(
                None,
                "Someone else changed this scenario after you opened this page. Check your "
                "values against the scenario now and save again",
            )
        else:
            messages.success(request, f"{form.title} changed")
            return redirect("planner:scenario", scenario_id=scenario.pk)
    return render(
        request,
        "planner/edit.html",
        {"form": form, "scenario": scenario, "error_summary": error_summary(form)},
        status=400 if form.errors else 200,
    )


@requires(MANAGE)
@require_POST
def run_start_view(request: HttpRequest, scenario_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    scenario = scenario_get(actor=actor, scenario_id=scenario_id)
    run = run_start(actor=actor, scenario_id=scenario.pk)
    return redirect("planner:run", run_id=run.pk)


@requires(MANAGE)
@require_http_methods(["GET", "POST"])
def recommend_view(request: HttpRequest, scenario_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    scenario = scenario_get(actor=actor, scenario_id=scenario_id)
    ratings = [rating["name"] for rating in scenario.data["ratings"]]
    form = TargetsForm(
        request.POST if request.method == "POST" else None,
        ratings=ratings,
        initial_targets=last_targets(actor=actor, scenario=scenario),
    )
    if request.method == "POST" and form.is_valid():
        run = recommendation_start(
            actor=actor, scenario_id=scenario.pk, targets=form.cleaned_data["targets"]
        )
        return redirect("planner:run", run_id=run.pk)
    return render(
        request,
        "planner/targets.html",
        {"form": form, "scenario": scenario, "error_summary": error_summary(form)},
        status=400 if form.errors else 200,
    )


@requires(VIEW)
@require_GET
def run_view(request: HttpRequest, run_id: int) -> HttpResponse:
    run = run_get(actor=Actor.from_request(request), run_id=run_id)
    context: dict[str, Any] = {
        "run": run,
        "title": presenters.run_title(run),
        "caption": f"Started {presenters.when_text(run.created_at)}"
        + (f" by {run.created_by.display_name}" if run.created_by else ""),
        "progress": presenters.progress(run),
        "poll_ms": POLL_MS,
        "can_manage": _can_manage(request),
    }
    if run.state == RunState.FINISHED and run.results:
        labels = presenters.run_labels(run)
        if run.kind == RunKind.RECOMMENDATION:
            context["recommendation"] = presenters.recommendation_view(run)
            context["results"] = context["recommendation"].results
        else:
            context["results"] = presenters.results_view(
                run.results["result"], run.scenario_data, labels, "queues"
            )
        if run.kind == RunKind.REPLAY:
            context["replay"] = presenters.replay_view(run)
    return render(request, "planner/run.html", context)


@requires(MANAGE)
@require_POST
def adopt_recommendation_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """A new scenario with the staffing a recommendation found."""
    actor = Actor.from_request(request)
    run = run_get(actor=actor, run_id=run_id)
    try:
        scenario = scenario_from_recommendation(
            actor=actor,
            run_id=run.pk,
            name=f"{run.scenario.name} with the recommended staffing",
        )
    except NotARecommendation:
        raise Http404 from None
    messages.success(request, "Made a scenario with the recommended staffing: run it to see it")
    return redirect("planner:scenario", scenario_id=scenario.pk)


@requires(VIEW)
@require_GET
def run_progress_view(request: HttpRequest, run_id: int) -> JsonResponse:
    run = run_progress_get(actor=Actor.from_request(request), run_id=run_id)
    return JsonResponse(presenters.progress(run).to_dict())


@requires(VIEW)
@require_GET
def run_queues_svg_view(request: HttpRequest, run_id: int) -> HttpResponse:
    run = run_get(actor=Actor.from_request(request), run_id=run_id)
    if run.state != RunState.FINISHED or not run.results:
        raise Http404
    response = HttpResponse(presenters.queue_svg(run), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="queues-run-{run.pk}.svg"'
    return response


def _run_ids(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.GET.getlist("run") if value.isdigit()]


@requires(VIEW)
@require_GET
def compare_view(request: HttpRequest) -> HttpResponse:
    actor = Actor.from_request(request)
    chosen = _run_ids(request)
    runs = runs_for_comparison(actor=actor, run_ids=chosen)
    summary = []
    comparison = None
    if len(runs) >= 2:
        comparison = presenters.comparison_view(runs)
    elif "run" in request.GET:
        summary = [SummaryError("Choose at least two finished runs to compare", "#run-choices")]
    choices = [
        {
            "id": listing_run.pk,
            "label": presenters.run_label(listing_run),
            "kind": listing_run.get_kind_display(),
            "checked": listing_run.pk in chosen,
        }
        for listing_run in comparable_runs(actor=actor)[:COMPARE_CHOICES]
    ]
    return render(
        request,
        "planner/compare.html",
        {
            "comparison": comparison,
            "choices": choices,
            "error_summary": summary,
            "max_compared": MAX_COMPARED,
        },
        status=400 if summary else 200,
    )
