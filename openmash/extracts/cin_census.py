"""The Children in Need census items OpenMASH holds about referrals, as CSV: one row per
child referred in the period (a sibling the MASH closed with advice is not a referral;
ADR 0022), headed by the census item names, dates as
YYYY-MM-DD like the census itself.

- LAchildID: the Child Unique ID of the Annex A lists (openmash.extracts.children).
- CINreferralDate (N00100): the referral date (openmash.extracts.referrals).
- ReferralSource (N00152): the contact's referral source code.
- ReferralNFA (N00112): 1 for a referral with no further action, otherwise 0.
- PrimaryNeedCode (N00101): the child's own, in the decision in force.
- AssessmentFactors: the factor codes of the decision in force, comma-separated. The
  census records the factors identified at the end of the assessment, which children's
  social care completes; these are the ones the MASH identified when it decided.
- Ethnicity (N00177): the census code recorded for the child in the contact, or NOBT
  (information not yet obtained), as in the Annex A lists. The census's disability
  codes (N00099: the kind of disability) are not collected at contact, which records
  only whether the child has one, so they are not given.

Everything else in the census (the child's other identifiers and characteristics, the
assessment, section 47 and plan modules, closure) belongs to children's social care's
own system, which makes the return.
"""

from openmash.core.period import Period
from openmash.extracts.annex_a import Extracted, ethnicity_of, local_day
from openmash.extracts.referrals import referred_children
from openmash.extracts.tables import ISO_DATES, Column, ColumnKind, Table

CIN_REFERRAL_COLUMNS = (
    Column("LAchildID", description="The Child Unique ID, as in the Annex A lists."),
    Column(
        "CINreferralDate",
        kind=ColumnKind.DATE,
        description="The referral date: the day the MASH first passed the child to "
        "children's social care.",
    ),
    Column("ReferralSource", description="The census referral source code of the contact."),
    Column(
        "ReferralNFA",
        kind=ColumnKind.NUMBER,
        description="1 when the child's outcome in the decision in force is no longer an "
        "assessment or strategy discussion, otherwise 0.",
    ),
    Column("PrimaryNeedCode", description="N0 to N9: the child's, in the decision in force."),
    Column(
        "AssessmentFactors",
        description="The factor codes the MASH identified in the decision in force, "
        "separated by commas.",
    ),
    Column(
        "Ethnicity",
        description="The census ethnicity code recorded for the child in the contact; NOBT "
        "(information not yet obtained) where none was given.",
    ),
)


def cin_census_referrals(period: Period) -> Extracted:
    """The census referral items of every child in every referral made in the period."""
    children = referred_children(period).children
    rows = [
        (
            each.child_id,
            local_day(each.referral.referred_at),
            each.person.contact.referral_source,
            int(each.referral.no_further_action),
            each.referral.primary_need,
            ",".join(each.referral.factor_codes),
            ethnicity_of(each.person),
        )
        for each in children
    ]
    table = Table(
        title="Children in Need census: referrals",
        columns=CIN_REFERRAL_COLUMNS,
        rows=rows,
        dates=ISO_DATES,
        file_stem=f"cin-census-referrals-{period.slug}",
    )
    return Extracted(table, frozenset(each.referral.contact_id for each in children))
