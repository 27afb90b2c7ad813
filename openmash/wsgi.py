import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.settings.production")
application = get_wsgi_application()

# Every view and what it imports is loaded now, as the server starts (each gunicorn
# worker as it boots, and again after max_requests), not by the first request each
# worker answers: that request took about 1.5 s more than the next on a figures page.
get_resolver().url_patterns  # noqa: B018 - reading the property imports the URLconf
