"""The facts the indicators read: one narrow row per contact (ADR 0026).

Every indicator describes the contacts received in a period as they were at the end of
the period (ADR 0008). Worked out from the workflow's own tables, that meant several
correlated look-ups per contact (its rating in force, its first decision, its decision in
force, whether a child in it was decided on in the year before...), and for a year's
period on five years of data the dashboard took tens of seconds. A ContactFact holds what
those look-ups find, as of now: when a contact was first rated and last re-graded, its
current level and deadline, when it was first decided and last amended, its decision and
outcome now, when it was returned to the MASH, and whether it is a re-referral. A figure
for an earlier moment reads the fact whenever nothing changed after that moment (nearly
always) and goes back to the workflow's tables only for the few contacts that changed
since (openmash.metrics.cohort).

Written by the services that change what a fact records, in the same transaction
(openmash.core.metric_facts), and rebuilt from the workflow's tables by
`manage.py rebuild_metric_facts`, which must give the same rows.
"""

from django.conf import settings
from django.db import models


class ContactFact(models.Model):
    """What the indicators need of one contact, as it is now."""

    contact = models.OneToOneField(
        "contacts.Contact",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="metric_fact",
    )
    received_at = models.DateTimeField()
    referral_source = models.CharField(max_length=3)
    # The referrer's organisation as typed (the "no further action by organisation"
    # figures group by it), so those figures never read the contacts' own wide rows.
    referrer_organisation = models.CharField(max_length=200, blank=True, default="")
    channel = models.CharField(max_length=30)
    # The contact's current screener and when they took it, and its current deadline
    # (its provisional one until it is rated), as on the contact.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    # Ratings: the first, and the latest with its level (a RagLevel code) and deadline.
    first_rated_at = models.DateTimeField(null=True, blank=True)
    first_rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    # Null while not rated, as the indicators group it (not "": no level has that code).
    level = models.CharField(max_length=20, blank=True, null=True)  # noqa: DJ001
    rating_deadline_at = models.DateTimeField(null=True, blank=True)
    # Decisions: the original (with its level of need's number), the latest (an
    # amendment, or the original) with its outcome, and the amendments.
    first_decided_at = models.DateTimeField(null=True, blank=True)
    first_level_of_need = models.PositiveSmallIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(
        "enquiries.Decision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    outcome = models.ForeignKey(
        "area.Outcome",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    first_amended_at = models.DateTimeField(null=True, blank=True)
    amendments = models.PositiveIntegerField(default=0)
    # The children the latest decision gives an outcome (ADR 0022), and whether any of them
    # has an outcome other than the decision's own (its most serious child's). When none
    # has, every child's outcome is the fact's `outcome`, and the indicators that count
    # decided children (openmash.metrics.cohort.children_decided_counts) add up this
    # number instead of reading each child's row.
    children = models.PositiveIntegerField(default=0)
    children_apart = models.BooleanField(default=False)
    # Hand-ons returned to the MASH (now in the returned state): from the first return to
    # the last decision that answered one (null while one still waits for a decision).
    returned_from = models.DateTimeField(null=True, blank=True)
    returned_until = models.DateTimeField(null=True, blank=True)
    # A child named in it was named in another contact first decided on in the year
    # before it was received (openmash.metrics.indicators.quality.is_re_referral).
    re_referral = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="fact_received"),
            # The backlog and the open work: contacts not yet decided, and those returned.
            models.Index(
                fields=["received_at"],
                condition=models.Q(first_decided_at__isnull=True),
                name="fact_undecided",
            ),
            models.Index(fields=["first_decided_at"], name="fact_first_decided"),
            models.Index(
                fields=["returned_from"],
                condition=models.Q(returned_from__isnull=False),
                name="fact_returned",
            ),
            # The few decisions whose children went different ways, counted child by
            # child: without it, every fact of the period was read to find none.
            models.Index(
                fields=["received_at"],
                condition=models.Q(children_apart=True),
                name="fact_children_apart",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of contact {self.contact_id}"
