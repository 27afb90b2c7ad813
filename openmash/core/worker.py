"""A production worker process made ready before its first request (openmash/wsgi.py,
ADR 0037): every view loaded, and Python's cyclic garbage collector set for a web
worker."""

import gc

from django.urls import get_resolver

# Python's collector runs when the tracked objects made, less those freed, pass the first
# figure (700 by default); every 10th run also looks at the middle generation, and every
# 10th of those at everything the process holds. A figures page makes and frees hundreds
# of thousands of objects, so every 16 to 20 pages one full collection walked all of the
# worker's 180,000 start-up objects, adding about 100 ms to that page on this project's
# 2-core machine. Start-up objects are frozen (never looked at again, and never copied by
# a forked process writing to their reference counts), and the collector runs less often
# (objects freed by their reference counts, nearly all of a request's, never count).
GC_THRESHOLDS = (50_000, 20, 20)


def ready_for_requests() -> None:
    """Load every view and what it imports now, not in the first request (that request
    took about 1.5 s more than the next on a figures page), then freeze what start-up
    made and set the collector's thresholds."""
    get_resolver().url_patterns  # noqa: B018 - reading the property imports the URLconf
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
