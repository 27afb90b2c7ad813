from django_tasks import task

from openmash.core.audit_seals import audit_seal, audit_verification_run


@task()
def seal_audit_log() -> int:
    """Seal the audit events that have settled since the last seal; the number sealed."""
    return sum(seal.event_count for seal in audit_seal())


@task()
def verify_audit_log(verification_id: int) -> str:
    """Check the audit log against its seals for an auditor; the outcome's state."""
    return audit_verification_run(verification_id=verification_id).state
