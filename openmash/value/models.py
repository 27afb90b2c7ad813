"""What the MASH's work costs: how long each stage of the work takes and what an hour of
each kind of staff costs. Administrators keep both in Django admin (openmash/value/admin.py);
the defaults come from migration 0002 and are assumptions until an area enters its own.

Every figure has the day it takes effect. A change is a new row from a date, so the cost
of work done before that date stays as it was; a row already in force cannot be changed
or deleted (see admin.py). Which row applies to a piece of work is worked out in
openmash/value/rates.py.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openmash.core.roles import AgencyType, Role


class Stage(models.TextChoices):
    """A piece of the MASH's recorded work, counted once each time it is done."""

    SCREENING = "screening", "Screening a contact"
    RAG_RATING = "rag_rating", "RAG rating"
    AGENCY_CHECK = "agency_check", "Agency check"
    DECISION = "decision", "Decision"
    HAND_ON = "hand_on", "Hand-on"


class ScopedFigure(models.Model):
    """A figure for every agency (no agency type and no agency), for the agencies of one
    type, or for one agency. The narrowest one in force applies."""

    agency_type = models.CharField(
        max_length=40,
        choices=AgencyType.choices,
        blank=True,
        help_text="Leave blank for every kind of agency without a figure of its own.",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only for one agency (overrides the figure for its type).",
    )
    effective_from = models.DateField(
        help_text="The first day the figure applies to (UK time). Work before it keeps the "
        "figure in force then."
    )
    source = models.TextField(
        blank=True, help_text="Where the figure comes from, or that it is an assumption."
    )

    agency_id: int | None

    class Meta:
        abstract = True

    def clean(self) -> None:
        agency = self.agency if self.agency_id is not None else None
        if agency is not None and self.agency_type and agency.agency_type != self.agency_type:
            raise ValidationError(
                {"agency_type": "Leave the agency type blank, or choose the agency's own type"}
            )

    @property
    def scope_text(self) -> str:
        if self.agency_id is not None and self.agency is not None:
            return self.agency.name
        if self.agency_type:
            return str(AgencyType(self.agency_type).label)
        return "Any agency"


class StaffCost(ScopedFigure):
    """What an hour of one role's time costs at an agency (pounds per hour)."""

    role = models.CharField(max_length=40, choices=Role.choices)
    hourly_cost = models.DecimalField(
        "hourly cost (£)",
        max_digits=7,
        decimal_places=2,
        validators=[
            MinValueValidator(0, "Enter a cost of £0 or more"),
            MaxValueValidator(9999, "Enter a cost of no more than £9,999 an hour"),
        ],
    )
    includes_on_costs = models.BooleanField(
        default=True,
        help_text="Includes the employer's National Insurance and pension contributions.",
    )

    class Meta:
        ordering = ["role", "agency_type", "effective_from", "id"]
        verbose_name = "hourly staff cost"

    def __str__(self) -> str:
        return f"{Role(self.role).label}, {self.scope_text}: £{self.hourly_cost} an hour from {self.effective_from:%d %B %Y}"


class StageTime(ScopedFigure):
    """How many minutes of whose time one piece of work takes. For an agency check the
    agency is the one checking; for the other stages, the agency of the person who
    recorded the work."""

    stage = models.CharField(max_length=20, choices=Stage.choices)
    role = models.CharField(
        max_length=40,
        choices=Role.choices,
        help_text="Whose time it is: the hourly cost of this role at the agency applies.",
    )
    minutes = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        validators=[
            MinValueValidator(0, "Enter 0 minutes or more"),
            MaxValueValidator(6000, "Enter no more than 6,000 minutes (100 hours)"),
        ],
    )

    class Meta:
        ordering = ["stage", "agency_type", "effective_from", "id"]
        verbose_name = "staff time per stage"
        verbose_name_plural = "staff time per stage"

    def __str__(self) -> str:
        return f"{Stage(self.stage).label}, {self.scope_text}: {self.minutes} minutes from {self.effective_from:%d %B %Y}"
