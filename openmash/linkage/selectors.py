"""Reads for the index feed pages and API: which agency's feed a person manages, its
imports and its index settings. Imports hold counts and error and warning messages
(row, field, reason), never a person's details, so reading them is not a read of personal data."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from openmash.accounts.models import Agency
from openmash.core.audit import Actor
from openmash.core.permissions import is_administrator
from openmash.linkage.models import AgencyIndexSettings, IndexedPerson, IndexImport, IndexSource

IMPORTS_PER_PAGE = 25


def agencies_feed_managed_by(*, actor: Actor) -> QuerySet[Agency]:
    """The agencies whose feed this person may manage: an administrator any, a
    researcher their own."""
    user = actor.user
    if user is None or not user.has_perm("linkage.view_index_imports"):
        raise PermissionDenied
    if is_administrator(user):
        return Agency.objects.order_by("name")
    if user.agency_id is None:
        return Agency.objects.none()
    return Agency.objects.filter(pk=user.agency_id)


def agency_feed_for(*, actor: Actor, slug: str = "") -> Agency:
    """The agency a feed page is about: the one named by `slug` if given (an
    administrator's choice), else the person's own. Http404 for an agency that does not
    exist or is not theirs to manage."""
    agencies = agencies_feed_managed_by(actor=actor)
    user = actor.user
    assert user is not None  # agencies_feed_managed_by refuses no user
    slug = slug.replace("\x00", "").strip()[:60]
    if slug:
        agency = agencies.filter(slug=slug).first()
    else:
        # An administrator without an agency of their own starts with the first agency.
        own = agencies.filter(pk=user.agency_id).first() if user.agency_id else None
        agency = own or (agencies.first() if is_administrator(user) else None)
    if agency is None:
        raise Http404
    return agency


def index_imports_page(*, actor: Actor, agency: Agency, page_number: str | None) -> Page:
    """The agency's imports, most recent first."""
    if actor.user is None or not actor.user.has_perm("linkage.view_index_imports", agency):
        raise PermissionDenied
    imports = (
        IndexImport.objects.filter(agency=agency)
        .select_related("uploaded_by", "uploaded_by_token")
        .defer("errors", "warnings")
        .order_by("-uploaded_at", "-id")
    )
    return Paginator(imports, IMPORTS_PER_PAGE).get_page(page_number)


def index_import_get(*, actor: Actor, import_id: int) -> IndexImport:
    """One import, to its own agency (its researchers and API tokens) and administrators;
    Http404 to anyone else, as if it did not exist."""
    found = (
        IndexImport.objects.filter(pk=import_id)
        .select_related("agency", "uploaded_by", "uploaded_by_token")
        .first()
    )
    if found is None:
        raise Http404
    if actor.token is not None:
        if found.agency_id != actor.token.agency_id:
            raise Http404
    elif actor.user is None or not actor.user.has_perm("linkage.view_index_imports", found.agency):
        raise Http404
    return found


def agency_index_settings_get(*, actor: Actor, agency: Agency) -> AgencyIndexSettings:
    """The agency's index settings (the defaults if never changed)."""
    if actor.user is None or not actor.user.has_perm("linkage.manage_index_settings", agency):
        raise PermissionDenied
    found = AgencyIndexSettings.objects.filter(agency=agency).first()
    return found or AgencyIndexSettings(agency=agency)


def agency_index_size(*, agency: Agency) -> int:
    """How many records the agency's index holds now (not those it has withdrawn)."""
    return IndexedPerson.objects.filter(
        source=IndexSource.AGENCY, agency=agency, withdrawn_at__isnull=True
    ).count()


def agency_index_withdrawn(*, agency: Agency) -> int:
    """How many records the agency no longer holds are kept for links people confirmed."""
    return IndexedPerson.objects.filter(
        source=IndexSource.AGENCY, agency=agency, withdrawn_at__isnull=False
    ).count()
