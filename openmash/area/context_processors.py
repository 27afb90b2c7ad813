"""What every page's template needs of the area's configuration."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from openmash.area.selectors import protective_marking as marking_of_area


def protective_marking(request: HttpRequest) -> dict[str, object]:
    """The marking printed at the top and bottom of every page (base.html): read only
    when a template shows it, once a request."""
    return {"protective_marking": SimpleLazyObject(marking_of_area)}
