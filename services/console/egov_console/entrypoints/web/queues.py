"""The work queues (overdue, due soon, paused) with their filters and export."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from egov_runtime.tables import table_download
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from egov_console.adapters.api import ApiError, ServiceApis
from egov_console.domain import fmt
from egov_console.entrypoints.web.common import (
    EXPORT_LIMIT,
    PROCEDURES,
    apis_of,
    error_page,
    failure_page,
    now_vn,
    render,
    settings_of,
    signed_in,
    subtree,
    to_sign_in,
    units_today,
)

router = APIRouter(include_in_schema=False)


QUEUES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "overdue": ("Quá hạn", "✖", {"overdue": "true"}),
    "due-1": ("Đến hạn trong 1 ngày làm việc", "⚠", {"due_within_working_days": 1}),
    "due-3": ("Đến hạn trong 3 ngày làm việc", "◷", {"due_within_working_days": 3}),
    "paused": ("Tạm dừng, chờ bổ sung", "‖", {"paused": "true"}),
}
COLUMNS = [
    "Mã hồ sơ",
    "Mã thủ tục",
    "Tên thủ tục",
    "Mã đơn vị",
    "Đơn vị",
    "Hình thức nộp",
    "Trạng thái",
    "Ngày tiếp nhận",
    "Hạn giải quyết",
    "Quá hạn (ngày làm việc)",
    "Còn lại (ngày làm việc)",
]


async def _procedure_names(apis: ServiceApis) -> dict[str, str]:
    try:
        rows = await apis.get(PROCEDURES, "/v1/procedures", None, {"limit": 500})
    except ApiError:
        return {}
    return {r["code"]: r.get("name") or r["code"] for r in rows["items"]}


def _row(
    item: dict[str, Any], names: dict[str, str], units: dict[str, dict[str, Any]]
) -> list[Any]:
    unit = units.get(item["unit_code"], {})
    return [
        item["dossier_code"],
        item["procedure_code"],
        names.get(item["procedure_code"], ""),
        item["unit_code"],
        unit.get("name", ""),
        fmt.word(fmt.CHANNEL, item.get("channel")),
        fmt.pair(fmt.STATUS, item.get("status"))[0],
        fmt.moment(item.get("received_at")),
        fmt.moment(item.get("due_at")),
        fmt.decimal(item["overdue_working_days"]) if "overdue_working_days" in item else "",
        fmt.decimal(item["working_days_left"]) if "working_days_left" in item else "",
    ]


@router.get("/queues/{kind}", response_class=HTMLResponse, response_model=None)
async def queue(
    request: Request,
    kind: str,
    unit: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
    page: int = 1,
    format: Literal["html", "csv", "xlsx"] = "html",
) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    if kind not in QUEUES:
        return error_page(request, person, 404, "Không có hàng đợi này", "")
    title, icon, queue_params = QUEUES[kind]
    unit = unit or person.unit_code
    page = max(page, 1)
    size = settings_of(request).page_size
    apis = apis_of(request)
    units = await units_today(request)
    filters = {"unit": unit, "procedure": procedure or None, "channel": channel or None}
    params = {**filters, **queue_params}
    names = await _procedure_names(apis)
    try:
        if format != "html":
            items = await _all_items(apis, token, params)
            table = [COLUMNS, *(_row(i, names, units) for i in items)]
            stamp = now_vn().strftime("%Y%m%d-%H%M")
            return table_download(
                table,
                name=f"hang-doi-{kind}-{unit}-{stamp}",
                fmt=format,
                title=f"{title} — {units.get(unit, {}).get('name', unit)} — {fmt.moment(now_vn())}",
                sheet="Hang doi",
            )
        body = await apis.get(
            PROCEDURES,
            "/v1/dossiers",
            token,
            {**params, "limit": size, "offset": (page - 1) * size},
        )
    except ApiError as exc:
        return failure_page(request, person, exc)
    total = int(body.get("total", len(body["items"])))
    pages = max((total + size - 1) // size, 1)
    query = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "queue.html",
        person,
        kind=kind,
        queues=QUEUES,
        title=title,
        icon=icon,
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        units=subtree(units, person.unit_code),
        rows=[(i, _row(i, names, units)) for i in body["items"]],
        total=total,
        page=page,
        pages=pages,
        procedure=procedure or "",
        channel=channel or "",
        procedures=sorted(names.items()),
        channels=fmt.CHANNEL,
        query=query,
        export_csv=f"/queues/{kind}?" + urlencode({**query, "format": "csv"}),
        export_xlsx=f"/queues/{kind}?" + urlencode({**query, "format": "xlsx"}),
        page_link=lambda n: f"/queues/{kind}?" + urlencode({**query, "page": n}),
    )


async def _all_items(apis: ServiceApis, token: str, params: dict[str, Any]) -> list[Any]:
    """Every row of the filtered view (page after page), for the download."""
    items: list[Any] = []
    while len(items) < EXPORT_LIMIT:
        body = await apis.get(
            PROCEDURES, "/v1/dossiers", token, {**params, "limit": 500, "offset": len(items)}
        )
        items += body["items"]
        if not body["items"] or len(items) >= int(body.get("total", 0)):
            break
    return items
