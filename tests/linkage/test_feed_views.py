"""The index feed pages: upload (with every error shown when a file is refused), the
import history, one import, and who sees the agency's index."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from openmash.linkage.feeds import feed_read_csv
from openmash.linkage.models import AgencyIndexSettings, IndexedPerson, IndexImport
from openmash.linkage.services import index_import_apply
from tests.conftest import signed_in
from tests.linkage.test_feeds import a_row, csv_bytes

try:  # Until the project mounts the pages at /index/, mount them for these tests.
    reverse("linkage:import-upload")
except NoReverseMatch:
    urlpatterns = [
        path("", include("openmash.urls")),
        path("index/", include("openmash.linkage.urls")),
    ]
    pytestmark = pytest.mark.urls(__name__)


def upload(client: Client, data: bytes, mode: str = "replace", **extra: str) -> Any:
    return client.post(
        reverse("linkage:import-upload"),
        {"file": SimpleUploadedFile("feed.csv", data, "text/csv"), "mode": mode, **extra},
    )


@pytest.fixture
def police_researcher(personas: dict[str, User]) -> User:
    return personas["police_researcher"]


@pytest.fixture
def health_researcher(make_user: Callable[..., User]) -> User:
    return make_user("health_researcher", Role.AGENCY_RESEARCHER, "health")


@pytest.fixture
def police_import(police_researcher: User, agencies: dict[str, Agency]) -> IndexImport:
    return index_import_apply(
        actor=Actor(user=police_researcher),
        agency=agencies["police"],
        mode="replace",
        rows=feed_read_csv(csv_bytes(a_row(source_id="A"), a_row(source_id="B", sex="Q"))),
        file_name="police.csv",
    )


def test_it_shows_the_upload_page_with_the_format(police_researcher: User) -> None:
    response = signed_in(police_researcher).get(reverse("linkage:import-upload"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Upload an index feed" in page and "Police" in page
    assert 'type="file"' in page and "govuk-file-upload" in page
    for column in ("source_id", "involvement", "date_of_birth", "nhs_number"):
        assert column in page
    assert 'value="replace"' in page and 'value="delta"' in page
    # A researcher imports only their own agency's feed: no agency to choose.
    assert '<select name="agency"' not in page


def test_it_imports_a_good_file_and_shows_the_counts(
    police_researcher: User, agencies: dict[str, Agency]
) -> None:
    client = signed_in(police_researcher)
    response = upload(client, csv_bytes(a_row(source_id="A"), a_row(source_id="B")))
    index_import = IndexImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("linkage:import-detail", args=[index_import.pk])
    assert IndexedPerson.objects.filter(agency=agencies["police"]).count() == 2

    page = client.get(response["Location"]).content.decode()
    assert "index is updated: 2 added, 0 updated, 0 removed" in page
    assert "Imported" in page


def test_it_shows_every_error_and_imports_nothing(
    police_researcher: User, agencies: dict[str, Agency]
) -> None:
    rows = [a_row(source_id=str(n), sex="Q" if n % 2 else "F") for n in range(1, 11)]
    response = upload(signed_in(police_researcher), csv_bytes(*rows))
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "The file has 5 errors: nothing was imported" in page
    assert page.count("Use M, F or U") == 5
    assert not IndexedPerson.objects.filter(agency=agencies["police"]).exists()
    assert IndexImport.objects.get().applied is False


def test_it_shows_the_first_200_errors_with_the_count(police_researcher: User) -> None:
    rows = [a_row(source_id=str(n), sex="Q") for n in range(250)]
    page = upload(signed_in(police_researcher), csv_bytes(*rows)).content.decode()
    assert "Showing the first 200 of 250 errors" in page
    assert page.count("Use M, F or U") == 200


def test_it_names_a_bad_file_in_the_error_summary(police_researcher: User) -> None:
    response = upload(signed_in(police_researcher), "Zoë,x".encode("latin-1"))
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "replace"}, "Select a CSV file"),
        ({"mode": "sideways", "file": b"x"}, "Select whether the file replaces"),
        ({"file": b"x"}, "Select whether the file replaces"),
    ],
)
def test_it_shows_form_errors_in_the_summary(
    police_researcher: User, data: dict[str, Any], message: str
) -> None:
    body: dict[str, Any] = {key: value for key, value in data.items() if key != "file"}
    if "file" in data:
        body["file"] = SimpleUploadedFile("feed.csv", data["file"], "text/csv")
    response = signed_in(police_researcher).post(reverse("linkage:import-upload"), body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and message in page
    assert not IndexImport.objects.exists()


def test_a_researcher_cannot_import_into_another_agency(
    police_researcher: User, agencies: dict[str, Agency]
) -> None:
    response = upload(signed_in(police_researcher), csv_bytes(a_row()), agency="health")
    assert response.status_code == 404
    assert not IndexImport.objects.exists()


def test_an_administrator_chooses_the_agency(
    personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    client = signed_in(personas["administrator"])
    page = client.get(reverse("linkage:import-upload") + "?agency=health").content.decode()
    assert '<select name="agency"' in page
    response = upload(client, csv_bytes(a_row()), agency="health")
    assert response.status_code == 302
    assert IndexedPerson.objects.filter(agency=agencies["health"]).count() == 1


@pytest.mark.parametrize(
    "persona", ["screener", "manager", "analyst", "school_referrer", "no_role"]
)
def test_people_who_do_not_manage_a_feed_are_refused(
    personas: dict[str, User], persona: str
) -> None:
    client = signed_in(personas[persona])
    for name in ("linkage:import-upload", "linkage:import-history", "linkage:index-settings"):
        assert client.get(reverse(name)).status_code == 403, name
    assert upload(client, csv_bytes(a_row())).status_code == 403
    assert not IndexImport.objects.exists()


def test_it_sends_an_anonymous_visitor_to_sign_in() -> None:
    response = Client().get(reverse("linkage:import-upload"))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_the_history_lists_the_agencys_imports_with_counts_only(
    police_researcher: User, police_import: IndexImport
) -> None:
    response = signed_in(police_researcher).get(reverse("linkage:import-history"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not imported" in page
    assert reverse("linkage:import-detail", args=[police_import.pk]) in page
    assert "Amy" not in page and "Smith" not in page


def test_the_history_has_no_n_plus_one(
    police_researcher: User,
    agencies: dict[str, Agency],
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(police_researcher)

    def imports(count: int) -> None:
        for n in range(count):
            index_import_apply(
                actor=Actor(user=police_researcher),
                agency=agencies["police"],
                mode="delta",
                rows=feed_read_csv(csv_bytes(a_row(source_id=str(n)))),
            )

    imports(1)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("linkage:import-history"))
    imports(20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("linkage:import-history"))


def test_an_import_page_shows_its_errors(
    police_researcher: User, police_import: IndexImport
) -> None:
    response = signed_in(police_researcher).get(
        reverse("linkage:import-detail", args=[police_import.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "police.csv" in page and "Use M, F or U" in page and "<code>sex</code>" in page


def test_another_agencys_researcher_cannot_see_its_imports(
    health_researcher: User, police_import: IndexImport
) -> None:
    client = signed_in(health_researcher)
    detail = client.get(reverse("linkage:import-detail", args=[police_import.pk]))
    missing = client.get(reverse("linkage:import-detail", args=[police_import.pk + 1000]))
    assert (detail.status_code, missing.status_code) == (404, 404)
    history = client.get(reverse("linkage:import-history") + "?agency=police")
    assert history.status_code == 404
    own = client.get(reverse("linkage:import-history")).content.decode()
    assert "police.csv" not in own


def test_an_administrator_sees_any_agencys_imports(
    personas: dict[str, User], police_import: IndexImport
) -> None:
    client = signed_in(personas["administrator"])
    assert client.get(reverse("linkage:import-detail", args=[police_import.pk])).status_code == 200
    page = client.get(reverse("linkage:import-history") + "?agency=police").content.decode()
    assert reverse("linkage:import-detail", args=[police_import.pk]) in page


def test_a_researcher_chooses_who_sees_the_agencys_index(
    police_researcher: User, agencies: dict[str, Agency]
) -> None:
    client = signed_in(police_researcher)
    page = client.get(reverse("linkage:index-settings")).content.decode()
    assert 'value="yes" checked' in page  # visible to MASH screeners by default

    response = client.post(reverse("linkage:index-settings"), {"visible_to_mash_screeners": "no"})

    assert response.status_code == 302
    assert not AgencyIndexSettings.objects.get(agency=agencies["police"]).visible_to_mash_screeners
    event = AuditEvent.objects.get(object_type="agency_index_settings")
    assert event.actor_user == police_researcher
    assert event.detail == {
        "agency_id": agencies["police"].pk,
        "visible_to_mash_screeners": [True, False],
    }
    assert 'value="no" checked' in client.get(reverse("linkage:index-settings")).content.decode()


def test_the_settings_form_names_a_missing_choice(police_researcher: User) -> None:
    response = signed_in(police_researcher).post(reverse("linkage:index-settings"), {})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    assert not AgencyIndexSettings.objects.exists()


def test_an_administrator_changes_any_agencys_setting(
    personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    client = signed_in(personas["administrator"])
    response = client.post(
        reverse("linkage:index-settings") + "?agency=health", {"visible_to_mash_screeners": "no"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?agency=health")
    assert not AgencyIndexSettings.objects.get(agency=agencies["health"]).visible_to_mash_screeners


def test_another_agencys_researcher_cannot_change_its_setting(
    health_researcher: User, agencies: dict[str, Agency]
) -> None:
    response = signed_in(health_researcher).post(
        reverse("linkage:index-settings") + "?agency=police", {"visible_to_mash_screeners": "no"}
    )
    assert response.status_code == 404
    assert not AgencyIndexSettings.objects.filter(agency=agencies["police"]).exists()


def test_the_administrator_sees_imports_and_settings_in_the_admin(
    personas: dict[str, User], police_import: IndexImport
) -> None:
    client = signed_in(personas["administrator"])
    listing = client.get(reverse("admin:linkage_indeximport_changelist"))
    assert listing.status_code == 200
    assert client.get(reverse("admin:linkage_agencyindexsettings_changelist")).status_code == 200
    # An import is a record of what happened: nobody edits or deletes it.
    assert client.get(reverse("admin:linkage_indeximport_add")).status_code == 403
    screener = signed_in(personas["screener"])
    assert screener.get(reverse("admin:linkage_indeximport_changelist")).status_code == 302


def test_it_shows_the_warnings_of_an_import_on_its_page_and_in_the_history(
    police_researcher: User, agencies: dict[str, Agency]
) -> None:
    index_import = index_import_apply(
        actor=Actor(user=police_researcher),
        agency=agencies["police"],
        mode="replace",
        rows=feed_read_csv(
            csv_bytes(
                a_row(source_id="A", nhs_number="1234567890"),
                a_row(source_id="B"),
                a_row(source_id="C", nhs_number="123", postcode="ZZ9"),
            )
        ),
        file_name="police.csv",
    )
    client = signed_in(police_researcher)

    detail = client.get(reverse("linkage:import-detail", args=[index_import.pk])).content.decode()
    history = client.get(reverse("linkage:import-history")).content.decode()

    assert 'id="feed-warnings"' in detail
    assert "3 warnings." in detail
    assert "2 NHS numbers did not pass validation" in detail
    assert "1 postcodes did not pass validation" in detail
    assert detail.count("kept as given, not used for matching") == 3
    assert "1234567890" not in detail and "ZZ9" not in detail
    assert f"{reverse('linkage:import-detail', args=[index_import.pk])}#feed-warnings" in history


def test_it_says_how_many_warnings_are_not_listed(
    police_researcher: User, agencies: dict[str, Agency], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("openmash.linkage.feeds.WARNINGS_KEPT", 1)
    index_import = index_import_apply(
        actor=Actor(user=police_researcher),
        agency=agencies["police"],
        mode="delta",
        rows=feed_read_csv(csv_bytes(*(a_row(source_id=str(n), upn="X") for n in range(4)))),
    )

    page = signed_in(police_researcher).get(
        reverse("linkage:import-detail", args=[index_import.pk])
    )

    assert "Showing the first 1 of 4 warnings; the other 3 are counted" in page.content.decode()
