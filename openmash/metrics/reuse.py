"""Work the figures pages would repeat, kept under a digest of everything it is worked out
from (ADR 0032).

A bootstrap interval is a function of the two lists of times it resamples, and a chart's
SVG of the chart's figures and labels: nothing else. Kept under a SHA-256 digest of those
inputs, an answer can never be stale: a new contact or decision that changes a list
changes the digest, and the work is done again. Nor can it pass between users: an entry
is found only by someone who already holds every input it was made from.

The entries live in the "metrics" cache (openmash/settings/base.py), in each app server
process's memory, apart from the default cache's sign-in and rate-limit counters, which
they could otherwise push out.
"""

import hashlib
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import caches

T = TypeVar("T")

CACHE = "metrics"
# Part of every key: change it when what is kept, or how it is worked out, changes.
VERSION = "1"
# An entry's life in seconds. Entries cannot go stale; this only returns the memory of
# answers nobody asks for again.
LIFETIME = 24 * 60 * 60

_MISSING = object()


def digest(parts: Iterable[bytes | str]) -> str:
    """The SHA-256 of the parts, each preceded by its length, so that no two different
    lists of parts run together into the same bytes."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big"))
        hashed.update(data)
    return hashed.hexdigest()


def reused(kind: str, inputs: Iterable[bytes | str], work: Callable[[], T]) -> T:
    """work(), or the answer it gave before for the same `kind` and `inputs`. `inputs`
    must be everything the answer depends on."""
    cache = caches[CACHE]
    key = f"metrics:{kind}:{VERSION}:{digest(inputs)}"
    kept = cache.get(key, _MISSING)
    if kept is not _MISSING:
        return kept
    answer = work()
    cache.set(key, answer, LIFETIME)
    return answer
