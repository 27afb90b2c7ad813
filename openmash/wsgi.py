import os

from django.core.wsgi import get_wsgi_application

from openmash.core.worker import ready_for_requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.settings.production")
application = get_wsgi_application()

# Each gunicorn worker as it boots, and again after max_requests (openmash/core/worker.py).
ready_for_requests()
