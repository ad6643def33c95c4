"""RFC 9457 problem details for every HTTP error, with a field-level ``errors`` list.

Problems are written in English in the code and read in Vietnamese by default: one
translation table (:data:`TITLES_VI`, :data:`DETAILS_VI`) applied by :class:`ProblemLanguage`
to every ``application/problem+json`` answer of a service, whoever wrote it (a route, the
edge guard, the token check); ``Accept-Language: en`` keeps the English. An untranslated
title stays English (a test lists every title the code uses and checks the table has it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from egov_runtime.refusals import Refusal

MEDIA_TYPE = "application/problem+json"

TITLES_VI: dict[str, str] = {
    "Already nominated": "Đã có hồ sơ đề nghị",
    "Apology refused": "Không nhận phiếu xin lỗi",
    "Approval refused": "Không phê duyệt được",
    "Authentication required": "Cần đăng nhập",
    "Body too large": "Nội dung gửi lên quá lớn",
    "Cursor too old": "Vị trí đọc đã quá cũ",
    "Data set not found": "Không tìm thấy bộ dữ liệu",
    "Decision number used": "Số quyết định đã dùng",
    "Dossier not found": "Không tìm thấy hồ sơ",
    "Endpoint refused": "Địa chỉ nhận không được chấp nhận",
    "File incomplete": "Hồ sơ chưa đủ thành phần",
    "File too large": "Tệp quá lớn",
    "Forbidden": "Không có quyền",
    "Idempotency-Key reused": "Idempotency-Key đã dùng cho yêu cầu khác",
    "Implausible time": "Thời điểm không hợp lý",
    "Indicator not found": "Không tìm thấy chỉ tiêu",
    "Invalid Idempotency-Key": "Idempotency-Key không hợp lệ",
    "Invalid cursor": "Vị trí đọc không hợp lệ",
    "Invalid data set": "Bộ dữ liệu không hợp lệ",
    "Invalid definition": "Định nghĩa chỉ tiêu không hợp lệ",
    "Invalid period": "Kỳ báo cáo không hợp lệ",
    "Invalid plan period": "Giai đoạn kế hoạch không hợp lệ",
    "Invalid procedure": "Thủ tục không hợp lệ",
    "Invalid range": "Khoảng thời gian không hợp lệ",
    "Invalid request": "Yêu cầu không hợp lệ",
    "Invalid rotation": "Đổi khóa không hợp lệ",
    "Invalid rule": "Quy tắc không hợp lệ",
    "Invalid target": "Chỉ tiêu kế hoạch không hợp lệ",
    "Invalid template": "Mẫu thông báo không hợp lệ",
    "Invalid token": "Mã xác thực không hợp lệ",
    "Invalid value": "Giá trị không hợp lệ",
    "Leader would leave the cluster": "Đơn vị dẫn đầu sẽ ra khỏi cụm",
    "Method Not Allowed": "Phương thức không được hỗ trợ",
    "Missing period": "Thiếu kỳ báo cáo",
    "Movement exists": "Phong trào đã có",
    "Must be forwarded": "Phải trình lên cấp trên",
    "No exception on that day": "Ngày này không có ngày nghỉ, ngày làm bù riêng",
    "No quorum": "Không đủ số thành viên dự họp",
    "No such delivery (in-app items are not resent)": (
        "Không có thông báo này (thông báo trong ứng dụng không gửi lại)"
    ),
    "No such subscription": "Không có đăng ký nhận sự kiện này",
    "No such template": "Không có mẫu thông báo này",
    "Not Found": "Không tìm thấy",
    "Not UTF-8": "Nội dung không phải UTF-8",
    "Not a member of this council": "Không phải thành viên hội đồng này",
    "Not eligible": "Không đủ điều kiện",
    "Not found": "Không tìm thấy",
    "Not in your inbox": "Không có trong hộp thư của bạn",
    "Not possible in this status": "Không thực hiện được ở trạng thái này",
    "Not the dossier's unit": "Không phải đơn vị giải quyết hồ sơ",
    "Not this council's file": "Không phải hồ sơ của hội đồng này",
    "Not under review": "Hồ sơ không ở bước thẩm định",
    "One queue at a time": "Mỗi lần chỉ một hàng đợi",
    "Only operators register for another system": (
        "Chỉ cán bộ vận hành đăng ký thay cho hệ thống khác"
    ),
    "Outside your unit": "Ngoài phạm vi đơn vị của bạn",
    "Prerequisite not in this decision": "Danh hiệu cần có trước chưa nằm trong quyết định này",
    "Procedure not found": "Không tìm thấy thủ tục",
    "Province-wide configuration": "Cấu hình chung của tỉnh",
    "Rows rejected": "Có dòng bị từ chối",
    "Rule not found": "Không tìm thấy quy tắc",
    "Service unavailable": "Dịch vụ tạm thời không sẵn sàng",
    "Session exists": "Phiên họp đã có",
    "Submission id reused": "Mã báo cáo đã dùng",
    "Submission rejected": "Báo cáo không được tiếp nhận",
    "Tally exists": "Kết quả bỏ phiếu đã có",
    "Template does not render this event": "Mẫu thông báo không hiển thị được sự kiện này",
    "The template does not render this event type": (
        "Mẫu thông báo không hiển thị được loại sự kiện này"
    ),
    "Unit not found": "Không tìm thấy đơn vị",
    "Unknown event type": "Loại sự kiện không có",
    "Unknown event types": "Loại sự kiện không có",
    "Unknown template": "Mẫu thông báo không có",
    "Unreadable spreadsheet": "Không đọc được bảng tính",
}
# "<Thing> not found" titles built from a noun
NOT_FOUND_VI: dict[str, str] = {
    "Council": "hội đồng",
    "Decision": "quyết định",
    "Emulation cluster": "cụm thi đua",
    "Nomination": "hồ sơ khen thưởng",
    "Person": "cá nhân",
    "Session": "phiên họp",
}
DETAILS_VI: dict[str, str] = {
    "The request does not match the schema.": "Yêu cầu không đúng định dạng.",
    "Give period=… or both from=… and to=….": "Cần period=… hoặc cả from=… và to=….",
    "`to` is before `from`.": "`to` trước `from`.",
    "Give only one of overdue, due_within_working_days and paused.": (
        "Chỉ chọn một trong overdue, due_within_working_days và paused."
    ),
}
_NOT_FOUND = re.compile(r"^(.+) not found$")


def title_vi(title: str) -> str:
    """A problem's title in Vietnamese (the English one when the table lacks it)."""
    if title in TITLES_VI:
        return TITLES_VI[title]
    m = _NOT_FOUND.match(title)
    if m and m.group(1) in NOT_FOUND_VI:
        return f"Không tìm thấy {NOT_FOUND_VI[m.group(1)]}"
    return title


def wants_english(accept_language: str) -> bool:
    """``Accept-Language`` prefers English over Vietnamese (by order and q-values)."""
    best_q, best = -1.0, "vi"
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if lang in ("en", "vi") and (q > best_q or (q == best_q and i == 0)):
            best_q, best = q, lang
    return best == "en"


def localised(body: dict[str, Any], english: bool) -> dict[str, Any]:
    if english or not isinstance(body.get("title"), str):
        return body
    out = {**body, "title": title_vi(body["title"])}
    if isinstance(body.get("detail"), str) and body["detail"] in DETAILS_VI:
        out["detail"] = DETAILS_VI[body["detail"]]
    return out


class ProblemLanguage:
    """ASGI middleware: every problem answer in the caller's language (Vietnamese unless
    ``Accept-Language`` prefers English), with ``Content-Language`` saying which."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = next(
            (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"),
            "",
        )
        english = wants_english(accept)
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def relay(message: Any) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                media = next(
                    (v for k, v in message.get("headers", ()) if k.lower() == b"content-type"), b""
                )
                if media.startswith(MEDIA_TYPE.encode()):
                    start = message  # held until the body is rewritten
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _rewrite(b"".join(chunks), english)
                headers = [
                    (k, v)
                    for k, v in start.get("headers", ())
                    if k.lower() not in (b"content-length", b"content-language")
                ]
                headers += [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-language", b"en" if english else b"vi"),
                ]
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, relay)


def _rewrite(raw: bytes, english: bool) -> bytes:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(body, dict):
        return raw
    return json.dumps(localised(body, english), ensure_ascii=False).encode()


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.type = type_
        self.headers = headers

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(request.url.path),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers,
    )


def of_refusal(refusal: Refusal) -> Problem:
    """The problem details a use case's refusal answers (same title, detail, field errors)."""
    return Problem(refusal.status, refusal.title, refusal.detail, errors=refusal.errors)


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc), "message": e.get("msg", ""), "type": e.get("type", "")})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(Refusal)
    async def _refused(request: Request, exc: Refusal) -> JSONResponse:
        return problem_response(of_refusal(exc), request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = Problem(
            422,
            "Invalid request",
            "The request does not match the schema.",
            errors=validation_errors(exc.errors()),
        )
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
        return problem_response(problem, request)
