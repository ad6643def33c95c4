"""Integration health: each service's readiness and kit metrics, troubled webhook endpoints and
failed notifications, with the admin's actions on them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from prometheus_client.parser import text_string_to_metric_families

from egov_console.adapters.api import ApiError
from egov_console.entrypoints.web.common import (
    HEALTH_ROLES,
    NOTIFIER,
    apis_of,
    error_page,
    failure_page,
    gather_limited,
    render,
    signed_in,
    to_sign_in,
)

router = APIRouter(include_in_schema=False)


def _metrics_of(text: str, service: str) -> dict[str, float]:
    """The kit's operational gauges and counters of one service, from its /metrics."""
    wanted = {
        "egov_outbox_backlog": "outbox",
        "egov_outbox_oldest_age_seconds": "outbox_age",
        "egov_consumer_lag": "lag",
        "egov_dead_letters": "dead_letters",
        "egov_events_failed": "failed",
    }
    found = dict.fromkeys(wanted.values(), 0.0)
    for family in text_string_to_metric_families(text):
        key = wanted.get(family.name)
        if key is None:
            continue
        for sample in family.samples:
            if sample.labels.get("service") != service or sample.name.endswith("_created"):
                continue
            if key == "outbox_age":
                found[key] = max(found[key], sample.value)
            else:
                found[key] += sample.value
    return found


@router.get("/health", response_class=HTMLResponse, response_model=None)
async def health(request: Request) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    if not person.has_any(HEALTH_ROLES):
        return error_page(
            request,
            person,
            403,
            "Không có quyền",
            "Trang tình trạng tích hợp dành cho cán bộ vận hành và quản trị.",
        )
    apis = apis_of(request)

    async def one(name: str) -> dict[str, Any]:
        row: dict[str, Any] = {"name": name, "url": apis.url(name)}
        try:
            ready = await apis.raw(name, "/readyz", None, ok=(200, 503))
            body = ready.json()
            row["ready"] = ready.status_code == 200
            row["checks"] = body.get("checks", {})
        except (ApiError, ValueError) as exc:
            row["ready"] = False
            row["checks"] = {"http": str(exc)}
        try:
            metrics = await apis.raw(name, "/metrics", None)
            row["metrics"] = _metrics_of(metrics.text, name)
        except ApiError:
            row["metrics"] = None
        return row

    services = await gather_limited([one(n) for n in apis.urls])
    rows = [s for s in services if isinstance(s, dict)]
    endpoints: list[Any] | None = None
    failed: list[Any] | None = None
    notes = []
    try:
        endpoints = (await apis.get(NOTIFIER, "/v1/subscriptions", token, {"limit": 500}))["items"]
        since = (datetime.now(UTC) - timedelta(hours=24)).isoformat()
        # failed: refused or out of retries; endpoint-disabled: the receiver said 410 Gone
        lists = await asyncio.gather(
            *(
                apis.get(
                    NOTIFIER,
                    "/v1/deliveries",
                    token,
                    {"status": status, "since": since, "limit": 200},
                )
                for status in ("failed", "endpoint-disabled")
            )
        )
        failed = sorted(
            (n for found in lists for n in found["items"]),
            key=lambda n: str(n["created_at"]),
            reverse=True,
        )
    except ApiError as exc:
        notes.append(f"notifier: {exc.detail}")
    troubled = [e for e in endpoints or [] if not e.get("enabled") or e.get("failing_since")]
    return render(
        request,
        "health.html",
        person,
        services=rows,
        endpoints=troubled,
        endpoints_total=len(endpoints or []),
        failed=failed,
        notes=notes,
    )


async def _admin_action(request: Request, path: str, refused: str) -> Response:
    """An admin's action on the notifier (its own API, with the admin's token), then back to
    the health page; another role is told ``refused``. The session cookie is SameSite=Lax, so
    another site cannot post these."""
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    if "admin" not in person.roles:
        return error_page(request, person, 403, "Không có quyền", refused)
    try:
        await apis_of(request).post(NOTIFIER, path, token)
    except ApiError as exc:
        return failure_page(request, person, exc)
    return RedirectResponse("/health", status_code=303)


@router.post("/health/endpoints/{sid}/enable", response_model=None)
async def enable_endpoint(request: Request, sid: str) -> Response:
    """Admin: turn a disabled webhook endpoint back on."""
    return await _admin_action(
        request,
        f"/v1/subscriptions/{sid}/enable",
        "Chỉ quản trị hệ thống được bật lại điểm nhận webhook.",
    )


@router.post("/health/deliveries/{nid}/replay", response_model=None)
async def replay_delivery(request: Request, nid: str) -> Response:
    """Admin: send a failed notification again (the notifier keeps its id, so a receiver can
    drop a duplicate)."""
    return await _admin_action(
        request, f"/v1/deliveries/{nid}/replay", "Chỉ quản trị hệ thống được gửi lại thông báo."
    )
