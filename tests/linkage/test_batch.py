"""The batch deduplication of the person index with Splink (advisory, issue 4)."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from openmash.accounts.models import Agency
from openmash.core.roles import AgencyType
from openmash.linkage.batch import dedupe
from openmash.linkage.index import standard_fields
from openmash.linkage.models import IndexedPerson, IndexSource, PersonLink
from openmash.linkage.synthetic import synthetic_records
from openmash.linkage.training import DEFAULT_MODEL, comparison_frame


def test_it_clusters_synthetic_records_without_joining_different_people() -> None:
    records = synthetic_records(1500, seed=5)
    result = dedupe(comparison_frame(records), DEFAULT_MODEL, threshold=0.99)
    people = len({record["truth_id"] for record in records})
    assert result.records == 1500
    assert result.multi_record_clusters > 100
    # Nearly every real person is one cluster: few missed links, and never fewer
    # clusters than people by more than a handful (no households merged).
    assert people * 0.97 <= result.clusters <= people * 1.3
    assert result.largest_cluster <= 6


def _index(agency: Agency, source_id: str, given: str, family: str, born: date) -> None:
    IndexedPerson.objects.create(
        source=IndexSource.AGENCY,
        agency=agency,
        source_id=source_id,
        given_names=given,
        family_name=family,
        date_of_birth=born,
        postcode="SW1A 1AA",
        **standard_fields(
            given_names=given, family_name=family, date_of_birth=born, postcode="SW1A 1AA"
        ),
    )


@pytest.mark.django_db
def test_the_command_reports_clusters_and_links_nothing(settings: object, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    agency = Agency.objects.create(
        name="Batch test agency", slug="batch-test", agency_type=AgencyType.OTHER
    )
    _index(agency, "1", "Jayden", "Okafor", date(2015, 3, 4))
    _index(agency, "2", "Jayden", "Okafor", date(2015, 3, 4))
    _index(agency, "3", "Amara", "Okafor", date(2015, 3, 4))  # a twin: not the same child
    _index(agency, "4", "Lily", "Hughes", date(2012, 7, 9))
    out = StringIO()
    call_command("link_index_batch", stdout=out)
    text = out.getvalue()
    assert "Index records: 4" in text
    assert "Clusters: 3" in text
    assert "Clusters of more than one record: 1 (2 records" in text
    assert "Advisory only" in text
    assert not PersonLink.objects.exists()
    limited = StringIO()
    call_command("link_index_batch", limit=2, stdout=limited)
    assert "Index records: 2" in limited.getvalue()
