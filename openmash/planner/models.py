"""Scenarios of how the hub could be run, and their runs through the simulation.

A scenario holds the JSON of an `openmash.capacity.scenario.Scenario` exactly as it is
simulated, with the notes of how it was estimated from the hub's records. A run holds a
copy of the scenario JSON it simulated (the scenario may be edited afterwards), its
progress while it runs in the background, and its results. Neither holds anything about
a child or a family: only counts, rates and times.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class Scenario(models.Model):
    name = models.CharField(max_length=200)
    # openmash.capacity Scenario.to_dict(): what is simulated.
    data = models.JSONField()
    # How each part was estimated from the hub's records: the period, the method and
    # how many records each estimate rests on (see openmash.planner.calibration).
    calibration = models.JSONField(default=dict, blank=True)
    # Demand as a share of the calibrated demand (1.15 is 15% more), and the months it
    # applies to (empty: the next weeks, whenever they fall). The arrival rates in `data`
    # already include it; it is kept so an edit replaces it rather than compounding.
    demand_multiplier = models.FloatField(default=1.0)
    demand_months = models.JSONField(default=list, blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"scenario {self.pk}"


class RunKind(models.TextChoices):
    SIMULATION = "simulation", "Simulation"
    RECOMMENDATION = "recommendation", "Staffing recommendation"
    REPLAY = "replay", "Check against a recorded period"


class RunState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class ScenarioRun(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=20, choices=RunKind.choices, default=RunKind.SIMULATION)
    state = models.CharField(max_length=20, choices=RunState.choices, default=RunState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    replications = models.PositiveIntegerField(default=0)
    replications_done = models.PositiveIntegerField(default=0)
    # The scenario as simulated (a copy: editing the scenario later leaves this alone).
    scenario_data = models.JSONField()
    # The manager's staffing targets for a recommendation: {rating: share within
    # timescale}, e.g. {"red": 0.95, "amber": 0.9}.
    targets = models.JSONField(default=dict, blank=True)
    # A replay's recorded period, and what actually happened in it.
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    actual = models.JSONField(default=dict, blank=True)
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scenario", "-created_at"], name="planner_run_latest")]

    def __str__(self) -> str:
        return f"run {self.pk}"

    @property
    def is_done(self) -> bool:
        return self.state in (RunState.FINISHED, RunState.FAILED)
