"""The service index (QĐ 766/QĐ-TTg) as the API answers it: JSON, and the table of the CSV and
XLSX downloads (the dossiers that made the progress score)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from egov_workdays import VN_TZ

from egov_procedures.domain.service_index import Indicator, Judged, ServiceIndex

NEEDS_CHECK = (
    "Trọng số, ngưỡng của chỉ số chưa được đối chiếu với văn bản Quyết định 766/QĐ-TTg"
    " (needs_legal_check): điểm chỉ để tham khảo."
)


def _num(v: Decimal | None) -> str | None:
    return str(v) if v is not None else None


def _indicator(
    i: Indicator, rate: Decimal | None, points: Decimal | None, computed: bool, **extra: Any
) -> Any:
    missing = None
    if not computed:
        missing = (
            "hệ thống một cửa chưa gửi trường tùy chọn của báo cáo trạng thái (digitised,"
            " electronic_result, paid_online, satisfaction) cho các hồ sơ này"
            if i.data == "status-report fields"
            else "dữ liệu không có trong hệ thống giải quyết thủ tục hành chính"
        )
    return {
        "code": i.code,
        "name": i.name,
        "group": i.group,
        "points": str(i.points),
        "threshold_pct": str(i.threshold_pct),
        "source": i.source,
        "needs_legal_check": i.needs_legal_check,
        "status": "computed" if computed else "no-data",
        "missing": missing,
        "rate": _num(rate),
        "score": _num(points),
        **extra,
    }


def _iso(v: Any) -> Any:
    return v.astimezone(VN_TZ).isoformat() if v is not None else None


def dossier_json(j: Judged) -> dict[str, Any]:
    d, s = j.dossier, j.dossier.snapshot
    return {
        "dossier_code": d.dossier_code,
        "procedure_code": d.procedure_code,
        "unit_code": d.unit_code,
        "received_at": _iso(s.received_at),
        "due_at": _iso(s.due_at),
        "finished_at": _iso(s.finished_at),
        "situation": j.situation,
        "verdict": j.verdict.value,
        "reason": j.reason,
        "supplement_requests": j.supplement_requests,
        "supplement_elapsed_minutes": j.supplement_minutes,
        "in_form_rate": j.in_form_rate,
    }


def index_json(index: ServiceIndex) -> dict[str, Any]:
    p, c, rules = index.progress, index.comparison, index.rule_set
    lacking = {i.code for i in index.lacking_data}
    indicators = []
    for i in rules.indicators:
        if i.code == p.indicator.code:
            indicators.append(
                _indicator(i, p.rate, p.score, True, numerator=p.in_time, denominator=p.denominator)
            )
        elif i.code in index.shares and i.code not in lacking:
            sh = index.shares[i.code]
            indicators.append(
                _indicator(
                    i,
                    sh.rate,
                    sh.score,
                    True,
                    numerator=sh.numerator,
                    denominator=sh.denominator,
                )
            )
        else:
            indicators.append(_indicator(i, None, None, False))
    return {
        "rule_set": {
            "version": rules.version,
            "applies_from": rules.applies_from.isoformat(),
            "basis": rules.basis,
            "needs_legal_check": rules.needs_legal_check,
            "note": rules.note,
        },
        "legal_check": NEEDS_CHECK if rules.needs_legal_check else None,
        "indicators": indicators,
        "lacking_data": [i.code for i in index.lacking_data],
        "progress": {
            "rule": (
                "(trước hạn + đúng hạn + đang giải quyết còn hạn) / (đã giải quyết trong kỳ +"
                " đang giải quyết cuối kỳ) × 100, cắt đến 2 chữ số; thời gian chờ bổ sung không"
                " tính vào thời hạn; yêu cầu bổ sung quá 1 lần tính là quá hạn"
            ),
            "denominator": p.denominator,
            "in_time": p.in_time,
            "late": p.late,
            "rate": _num(p.rate),
            "score": _num(p.score),
            "points": str(p.indicator.points),
        },
        "form_comparison": {
            "form_rate": _num(c.form_rate),
            "index_rate": _num(c.index_rate),
            "difference_pp": _num(c.difference_pp),
            "explained_by": [
                {"dossier_code": j.dossier.dossier_code, "reason": j.reason} for j in c.explained_by
            ]
            + [{"dossier_code": d.dossier_code, "reason": why} for d, why in c.outside_index],
        },
        "dossiers": [dossier_json(j) for j in p.dossiers],
    }


def printed_index(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Lines above the table (unit, period, rule set, scores, the form's rate) and the table of
    the dossiers that made the progress indicator."""
    start, end = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    p, c = body["progress"], body["form_comparison"]
    preamble = [
        f"Căn cứ: {body['rule_set']['basis']} (bộ quy tắc {body['rule_set']['version']})",
        f"Đơn vị: {body.get('unit_name') or body['unit_code']} ({body['unit_code']})",
        f"Kỳ: {body['period']}, từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}",
        f"Tiến độ giải quyết: {p['in_time']}/{p['denominator']} hồ sơ đúng hạn, tỷ lệ"
        f" {p['rate'] or '—'}%, điểm {p['score'] or '—'}/{p['points']}",
        f"Tỷ lệ đúng hạn theo Biểu 06/VPCP/KSTT: {c['form_rate'] or '—'}%;"
        f" chênh lệch {c['difference_pp'] or '—'} điểm phần trăm",
        p["rule"],
    ]
    if body.get("legal_check"):
        preamble.append(body["legal_check"])
    table: list[list[Any]] = [
        [
            "STT",
            "Mã hồ sơ",
            "Mã thủ tục",
            "Đơn vị",
            "Ngày tiếp nhận",
            "Hạn xử lý",
            "Ngày hoàn thành",
            "Đánh giá",
            "Lý do",
            "Số lần yêu cầu bổ sung",
        ]
    ]
    for n, d in enumerate(body["dossiers"], start=1):
        table.append(
            [
                n,
                d["dossier_code"],
                d["procedure_code"],
                d["unit_code"],
                d["received_at"],
                d["due_at"],
                d["finished_at"],
                "Đúng hạn" if d["verdict"] == "in-time" else "Quá hạn",
                d["reason"],
                d["supplement_requests"],
            ]
        )
    return preamble, table
