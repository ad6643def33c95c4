"""``GET /v1/feed``: the public events over HTTP, for systems that cannot reach Kafka.

The answer is a JSON array of structured CloudEvents (``application/cloudevents-batch+json``),
each exactly as it was on the topic, in the order the notifier stored them (for one subject:
the topic's order). The ``Link: <...>; rel="next"`` header is the same request continued after
the last event of the page (on an empty page: from the same place, to poll again); the cursor
in it (``after``) is opaque. The caller sees the events of its token's unit subtree (an event
naming no unit: province-wide tokens only).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, cast

from egov_contracts.types import VnDatetime
from egov_runtime.auth import ROLES, Principal, require
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of, state_of
from egov_runtime.units import descendants
from fastapi import APIRouter, Depends, Query, Request, Response

from egov_notifier.adapters import feed
from egov_notifier.adapters import subscriptions as subs
from egov_notifier.entrypoints.consumers import FEED_TOPICS
from egov_notifier.entrypoints.subscriptions import check_types
from egov_notifier.settings import NotifierSettings

router = APIRouter(prefix="/v1", tags=["feed"])
Reader = Annotated[Principal, Depends(require(*ROLES))]
MEDIA_TYPE = "application/cloudevents-batch+json"
RECHECK_S = 5.0  # a long poll re-reads at least this often (a notification may be lost)


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise Problem(
            422, "Invalid cursor", errors=[{"field": "after", "message": "not a feed cursor"}]
        )
    return int(raw)


@router.get(
    "/feed",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "A batch of CloudEvents"}},
)
async def get_feed(
    request: Request,
    principal: Reader,
    after: str | None = Query(None, description="Cursor: continue after it (from rel=next)"),
    since: VnDatetime | None = Query(
        None, description="Without a cursor: start at the first event published at or after"
    ),
    types: list[str] = Query(
        [],
        alias="type",
        description="Event types, or prefixes ending in * (repeatable); default all",
    ),
    unit: str | None = Query(None, description="Only events of this unit and units below it"),
    limit: int = Query(100, ge=1, le=1000),
    wait: float = Query(0, ge=0, description="Seconds to wait for an event if none is there"),
) -> Response:
    """Events after the cursor (or from a time, or from the oldest kept), in order."""
    rt = runtime_of(request)
    settings = cast(NotifierSettings, rt.settings)
    signal = state_of(request, "feed_signal", feed.Signal)
    wait = min(wait, settings.feed_max_wait_s)
    check_types(types, field="type", topics=FEED_TOPICS)
    cursor = _cursor(after)
    async with rt.pool.acquire() as conn:
        scope = await descendants(conn, principal.unit_code)
        province = await subs.is_province(conn, principal.unit_code)
        if unit is not None and unit not in scope:
            raise Problem(
                403,
                "Outside your unit",
                errors=[{"field": "unit", "message": f"{unit} is not within your unit"}],
            )
        units = await descendants(conn, unit) if unit else (None if province else scope)
        if cursor is None:
            cursor = await feed.position_at(conn, since) if since else 0
        elif cursor < await feed.pruned_through(conn):
            raise Problem(
                410,
                "Cursor too old",
                "Events after this cursor were removed by retention"
                f" ({settings.feed_retention_days} days). Start again with since=<a time>,"
                " or without a cursor for all that is kept.",
            )
    query = feed.Query(after=cursor, limit=limit, types=types, units=units)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        woken = signal.current()  # before reading: a store after the read wakes us
        async with rt.pool.acquire() as conn:  # not held while waiting
            rows = await feed.page(conn, query)
        remaining = deadline - loop.time()
        if rows or remaining <= 0:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), timeout=min(remaining, RECHECK_S))
    last = rows[-1]["position"] if rows else cursor
    following = request.url.remove_query_params("since").include_query_params(after=str(last))
    return Response(
        content="[" + ",".join(r["event"] for r in rows) + "]",
        media_type=MEDIA_TYPE,
        headers={"link": f'<{following}>; rel="next"', "cache-control": "no-store"},
    )
