"""The garbage collector of a service process, set for a stream of short-lived objects.

A consumer holds a few batches of events in hand (a thousand events each, with their records,
envelopes, payloads and dictionaries). With Python's default young-generation threshold (700
net allocations) the collector ran a thousand times for 50,000 events, found most of those
objects still in use, moved them to the older generations and scanned them again there: about a
tenth of the consumer's time under load (`make bench`, the pipeline stage, measured with the
collector's callbacks: 0.3-0.4 s of 3.5-4.5 s), and a full collection is also a pause on every
event in flight. Reference counting frees the events of a batch as soon as it is stored; the
collector only has to find cycles, which are rare here. So, once the service's code and app are
loaded (the ``serve`` command, before the server starts):

- what exists then (modules, models, schemas, the app) is frozen out of the collector's scans
  (``gc.freeze``: it is kept for the life of the process anyway);
- a young collection runs every ``young_threshold`` net allocations (setting
  ``EGOV_<SERVICE>_GC_YOUNG_THRESHOLD``, default 50,000: cyclic garbage, rare here, waits at
  most that many allocations, megabytes, before it is found).
"""

from __future__ import annotations

import gc

DEFAULT_YOUNG_THRESHOLD = 50_000


def tune_collector(young_threshold: int = DEFAULT_YOUNG_THRESHOLD) -> None:
    """Freeze what exists now and space the young collections by ``young_threshold``
    allocations (0: leave Python's collector as it is)."""
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
