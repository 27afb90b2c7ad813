"""The retention job on the demo data (`seed_demo`, four days of contacts): the dry run lists
what the real run then removes, and the audit log still matches its seals afterwards,
with the oldest seal's events gone (issue 14, item 8)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit_seals import audit_seal
from openmash.core.models import AuditEvent, AuditPrune, AuditSeal
from openmash.governance.models import Disposal, RecordType
from openmash.governance.retention import retention_apply, retention_plan

pytestmark = pytest.mark.django_db


def test_the_dry_run_then_the_real_run_on_demo_data_keep_the_audit_log_verifiable() -> None:
    call_command("seed_demo", "--days", "4", "--seed", "11", stdout=StringIO())
    audit_seal(settle=timedelta(0), now=timezone.now() + timedelta(seconds=1))
    seals_before = AuditSeal.objects.count()
    # The oldest seal (its id depends on the database's sequence, not always 1).
    oldest = AuditSeal.objects.order_by("pk").first()
    assert oldest is not None
    contacts = Contact.objects.count()
    # Seven years and a month on: every contact that went no further, every email, the
    # stale index feeds and the demo's audit events are due; contacts that led to an
    # assessment wait for the children to be 25.
    later = timezone.now() + timedelta(days=7 * 365 + 60)

    out = StringIO()
    call_command("apply_retention", "--dry-run", "--as-of", f"{later:%Y-%m-%d}", stdout=out)
    plan = retention_plan(now=later)

    assert plan.due_counts[RecordType.CONTACT_NO_ASSESSMENT] > 0
    assert plan.due_counts[RecordType.INDEX_RECORD] > 0
    assert plan.due_counts[RecordType.AUDIT_EVENT] == seals_before
    assert plan.due_counts[RecordType.CONTACT_ASSESSMENT] == 0
    assert f"{plan.total_due:,} records would be removed." in out.getvalue()
    assert not Disposal.objects.exists()  # the dry run changed nothing
    names = set(ContactPerson.objects.values_list("family_name", flat=True)) - {""}
    assert not any(name in out.getvalue() for name in names)

    outcome = retention_apply(now=later)

    assert outcome.failed == 0
    assert outcome.done == {kind: n for kind, n in plan.due_counts.items() if n}
    assert Contact.objects.count() == contacts  # anonymised, not deleted
    anonymised = Disposal.objects.filter(object_type="contact").values("contact_id")
    assert not ContactPerson.objects.filter(contact_id__in=anonymised).exclude(family_name="")
    assert AuditPrune.objects.count() == seals_before
    assert not AuditEvent.objects.filter(id__lte=oldest.last_event_id)

    # The job's own audit events are sealed in turn, and the whole log verifies.
    audit_seal(settle=timedelta(0), now=timezone.now() + timedelta(seconds=1))
    verified = StringIO()
    call_command("verify_audit", stdout=verified)
    assert "The audit log matches its seals." in verified.getvalue()
    assert (
        f"had {AuditPrune.objects.get(seal_id=oldest.pk).event_count:,} audit events removed"
        in (verified.getvalue())
    )
    # Nothing is left to do but the seal of the job's own events (written today, so seven
    # years old by then too).
    left = retention_plan(now=later)
    assert {kind: n for kind, n in left.due_counts.items() if n} == {RecordType.AUDIT_EVENT: 1}
