"""How the console writes figures, dates and statuses for people (Vietnamese conventions).

Dates dd/mm/yyyy, times in Asia/Ho_Chi_Minh, a comma before decimals and a dot between
thousands (99,98%; 1.234), status as words with an icon (never colour alone)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from egov_workdays import VN_TZ


def number(value: Any) -> str:
    """1234 → ``1.234``; None → ``—``."""
    if value is None:
        return "—"
    return f"{int(value):,}".replace(",", ".")


def decimal(value: Any, places: int = 1) -> str:
    """2.5 → ``2,5``."""
    if value is None:
        return "—"
    return f"{float(value):,.{places}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(rate: Any) -> str:
    """The report API's rate (a decimal string, 2 places, truncated) as ``99,98%``; no resolved
    dossier → ``—``. The digits are the API's own: nothing is rounded again here."""
    if rate is None or rate == "":
        return "—"
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        return str(rate)
    return f"{value:.2f}".replace(".", ",") + "%"


def rate_change(current: Any, previous: Any) -> dict[str, str] | None:
    """The change of a rate against the previous period, in percentage points, with an icon
    and words (so it is not told by colour alone)."""
    if current is None or previous is None:
        return None
    delta = Decimal(str(current)) - Decimal(str(previous))
    text = f"{abs(delta):.2f}".replace(".", ",")
    if delta > 0:
        return {"icon": "▲", "text": f"tăng {text} điểm %", "kind": "up"}
    if delta < 0:
        return {"icon": "▼", "text": f"giảm {text} điểm %", "kind": "down"}
    return {"icon": "■", "text": "không đổi", "kind": "same"}


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ)


def day(value: Any) -> str:
    """A date or instant as ``dd/mm/yyyy`` (Vietnam time)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    moment = _instant(value)
    return moment.strftime("%d/%m/%Y") if moment else "—"


def moment(value: Any) -> str:
    """An instant as ``dd/mm/yyyy HH:MM`` in Vietnam time."""
    at = _instant(value)
    return at.strftime("%d/%m/%Y %H:%M") if at else "—"


def clock(value: Any) -> str:
    """An instant as ``HH:MM:SS dd/mm/yyyy`` in Vietnam time (when a page was last updated)."""
    at = _instant(value)
    return at.strftime("%H:%M:%S %d/%m/%Y") if at else "—"


STATUS = {
    "pending": ("Chờ tiếp nhận", "○"),
    "processing": ("Đang giải quyết", "◷"),
    "awaiting-supplement": ("Chờ bổ sung hồ sơ", "‖"),
    "suspended": ("Tạm dừng", "‖"),
    "resolved": ("Đã giải quyết", "✔"),
    "returned": ("Trả lại", "↩"),
    "withdrawn": ("Rút hồ sơ", "↩"),
    "rejected": ("Từ chối", "✖"),
    "received": ("Tiếp nhận", "▸"),
    "supplement-requested": ("Yêu cầu bổ sung", "‖"),
    "supplement-received": ("Đã bổ sung", "▸"),
    "resumed": ("Tiếp tục giải quyết", "▶"),
}
TIMELINESS = {
    "early": ("Trước hạn", "✔"),
    "on-time": ("Đúng hạn", "✔"),
    "late": ("Trễ hạn", "⚠"),
}
CHANNEL = {
    "counter": "Trực tiếp",
    "online": "Trực tuyến",
    "postal": "Bưu chính",
    "public-service-portal": "Cổng Dịch vụ công quốc gia",
}
DELIVERY = {
    "pending": ("Chờ gửi", "○"),
    "sending": ("Đang gửi", "◷"),
    "retrying": ("Đang thử lại", "↻"),
    "delivered": ("Đã gửi", "✔"),
    "failed": ("Gửi lỗi", "✖"),
    "endpoint-disabled": ("Điểm nhận đã tắt", "✖"),
    "digest": ("Gộp vào bản tin", "≡"),
    "digested": ("Đã gộp", "≡"),
}
ROLE = {
    "admin": "Quản trị hệ thống",
    "operator": "Cán bộ vận hành",
    "officer": "Cán bộ xử lý hồ sơ",
    "council": "Hội đồng thi đua - khen thưởng",
    "head": "Lãnh đạo đơn vị",
    "integration": "Hệ thống tích hợp",
}


def pair(table: dict[str, tuple[str, str]], code: Any) -> tuple[str, str]:
    """The Vietnamese words and icon of a code (the code itself when unknown)."""
    if code is None or code == "":
        return ("—", "")
    return table.get(str(code), (str(code), "•"))


def word(table: dict[str, str], code: Any) -> str:
    if code is None or code == "":
        return "—"
    return table.get(str(code), str(code))
