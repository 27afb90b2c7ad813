"""The extracts a MASH manager can download, in the order the page lists them."""

from collections.abc import Callable
from dataclasses import dataclass

from openmash.core.period import Period
from openmash.extracts.annex_a import (
    LIST_1_COLUMNS,
    LIST_3_COLUMNS,
    Extracted,
    annex_a_list_1,
    annex_a_list_3,
)
from openmash.extracts.cin_census import CIN_REFERRAL_COLUMNS, cin_census_referrals
from openmash.extracts.tables import Column


@dataclass(frozen=True)
class Extract:
    key: str
    title: str
    summary: str
    columns: tuple[Column, ...]
    build: Callable[[Period], Extracted]


EXTRACTS: dict[str, Extract] = {
    extract.key: extract
    for extract in (
        Extract(
            key="annex-a-list-1",
            title="Ofsted Annex A, List 1: contacts",
            summary="Every child named in a contact received in the period, one row per child "
            "per contact, whatever became of the contact.",
            columns=LIST_1_COLUMNS,
            build=annex_a_list_1,
        ),
        Extract(
            key="annex-a-list-3",
            title="Ofsted Annex A, List 3: referrals",
            summary="Every child in a referral made in the period: a contact the MASH passed to "
            "children's social care for an assessment or a strategy discussion.",
            columns=LIST_3_COLUMNS,
            build=annex_a_list_3,
        ),
        Extract(
            key="cin-census-referrals",
            title="Children in Need census: referral items",
            summary="The census items OpenMASH holds for each child in a referral made in the "
            "period: referral date, source, no further action, primary need and factors.",
            columns=CIN_REFERRAL_COLUMNS,
            build=cin_census_referrals,
        ),
    )
}
