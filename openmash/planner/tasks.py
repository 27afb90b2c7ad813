from django_tasks import task

from openmash.planner.services import run_execute


@task()
def run_scenario(run_id: int) -> str:
    """Simulate a queued capacity planning run (or search for its staffing), recording
    progress as it goes; returns the run's final state."""
    run = run_execute(run_id=run_id)
    return run.state if run is not None else "not queued"
