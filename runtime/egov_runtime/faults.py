"""Fail points for crash drills: ``EGOV_FAILPOINTS="name=probability,..."`` makes the process
exit abruptly (as kill -9 would) at the named point with that probability.

Points: ``consumer.before-db-commit`` (mid-batch), ``consumer.after-db-commit`` (stored, offset
not committed), ``relay.after-publish`` (published, outbox rows not marked). Without the
variable every point is a dictionary lookup that does nothing.
"""

from __future__ import annotations

import os
import random

_POINTS: dict[str, float] = {}
for _item in filter(None, os.environ.get("EGOV_FAILPOINTS", "").split(",")):
    _name, _, _p = _item.partition("=")
    _POINTS[_name.strip()] = float(_p or 1)


def point(name: str) -> None:
    p = _POINTS.get(name)
    if p is not None and random.random() < p:
        os._exit(137)
