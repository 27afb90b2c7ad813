"""Heartbeats of the background loops, and the health report built on them (/healthz).

Each loop records a beat every time round (`heartbeat_record`); the task worker's beat is
recorded by a task the deadline loop queues, so it shows that the worker is taking work
from the queue, not only that its process is alive. The report holds no personal data:
loop names, times, counts and "ok".
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from openmash.core.audit_seals import audit_seal_status
from openmash.core.models import AuditEvent, Heartbeat


def heartbeat_record(*, loop: str, every_seconds: int = 0, now: datetime | None = None) -> None:
    """Records that `loop` ran just now (one UPDATE; an INSERT the first time)."""
    moment = now or timezone.now()
    updated = Heartbeat.objects.filter(loop=loop).update(
        beat_at=moment, every_seconds=every_seconds
    )
    if not updated:
        Heartbeat.objects.update_or_create(
            loop=loop, defaults={"beat_at": moment, "every_seconds": every_seconds}
        )


def _allowed_age(beat: Heartbeat) -> timedelta:
    if beat.every_seconds:
        # Three missed turns, and never less than two minutes (a loop's own work takes time).
        return max(timedelta(seconds=3 * beat.every_seconds), timedelta(minutes=2))
    return timedelta(minutes=settings.HEALTH_STALE_MINUTES)


@dataclass
class HealthReport:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return all(check["ok"] for check in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.healthy else "fail", "checks": self.checks}


def health_report(*, now: datetime | None = None) -> HealthReport:
    """The database answers; each required loop beat recently; the audit log is sealed
    up to events no older than AUDIT_SEAL_STALE_MINUTES."""
    moment = now or timezone.now()
    report = HealthReport()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = {beat.loop: beat for beat in Heartbeat.objects.all()}
        seals = audit_seal_status()
        oldest_unsealed = (
            AuditEvent.objects.filter(id__gt=seals.last_sealed_event_id or 0)
            .order_by("id")
            .values_list("occurred_at", flat=True)
            .first()
        )
    except DatabaseError:
        report.checks["database"] = {"ok": False}
        return report
    report.checks["database"] = {"ok": True}
    for loop in settings.HEALTH_REQUIRED_LOOPS:
        beat = beats.get(loop)
        if beat is None:
            report.checks[loop] = {"ok": False, "last_beat": None}
            continue
        age = moment - beat.beat_at
        report.checks[loop] = {
            "ok": age <= _allowed_age(beat),
            "last_beat": beat.beat_at.isoformat(),
            "age_seconds": int(age.total_seconds()),
        }
    unsealed_age = (moment - oldest_unsealed) if oldest_unsealed else timedelta(0)
    report.checks["audit_seal"] = {
        "ok": unsealed_age <= timedelta(minutes=settings.AUDIT_SEAL_STALE_MINUTES),
        "events_waiting": seals.events_waiting,
        "oldest_unsealed_age_seconds": int(unsealed_age.total_seconds()),
        "last_sealed_at": seals.last_sealed_at.isoformat() if seals.last_sealed_at else None,
    }
    return report
