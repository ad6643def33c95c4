"""The demo figures of the sector's seed reports, as submissions and targets.

They reproduce the reported results exactly: 16,856 jobs created against a plan of 16,000
(105.35 %), 11,000 vocational enrolments against 10,500 (104.76 %), trained labour 60.17 % with
a certificate 24.06 %, and the poverty rate falling from 6.74 % to 5.33 % (−1.41 pp). The
province's rates are rolled up from the reporting units' numerators and denominators — a
weighted mean: the two units' poverty rates of 3.00 % and 8.83 % give 5.33 %, not their simple
mean 5.92 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from egov_contracts.envelope import VN_TZ

PROVINCE = "38"
DISTRICTS = ("38.380", "38.389")  # until 30 June 2025
COMMUNES = ("38.XA.HACTHANH", "38.XA.DONGSON")  # from 1 July 2025, their successors

# Per reporting unit (first, second): the earlier year's poverty review, then the later year's
# results. Sums and rates at the province are what the seed reports say.
BEFORE = {
    "HO_TONG": (55000, 45000),
    "HO_NGHEO": (2200, 4540),
    "HO_CAN_NGHEO": (2750, 3150),
    "TL_HO_NGHEO": ("4.00", "10.09"),
}
AFTER = {
    "HO_TONG": (60000, 40000),
    "HO_NGHEO": (1800, 3530),
    "HO_CAN_NGHEO": (2400, 2600),
    "TL_HO_NGHEO": ("3.00", "8.83"),
    "VL_GQVL": (9856, 7000),
    "GDNN_TUYEN_SINH": (6200, 4800),
    "LD_TONG": (58000, 42000),
    "LD_QUA_DAO_TAO": (36170, 24000),
    "LD_CO_BANG_CC": (14060, 10000),
}
TARGETS = {
    "VL_GQVL": "16000",
    "GDNN_TUYEN_SINH": "10500",
    "TL_HO_NGHEO": "5.50",
    "TL_LD_QUA_DAO_TAO": "60",
    "TL_LD_CO_BANG_CC": "24",
}
EXPECTED = {
    "VL_GQVL": {"actual": "16856", "achievement_pct": "105.35", "status": "achieved"},
    "GDNN_TUYEN_SINH": {"actual": "11000", "achievement_pct": "104.76", "status": "achieved"},
    "TL_HO_NGHEO": {
        "actual": "5.33",
        "achievement_pct": "96.91",
        "status": "achieved",
        "change_vs_previous": "-1.41",
        "change_unit": "pp",
        # 96.91 % "of plan" for a lower-is-better rate: the planned and achieved reductions say
        # what it means (reduce by 1.24 pp planned, 1.41 pp achieved: 113.71 % of the plan)
        "planned_change": "-1.24",
        "achieved_change": "-1.41",
        "change_achievement_pct": "113.71",
    },
    "TL_LD_QUA_DAO_TAO": {"actual": "60.17", "achievement_pct": "100.28", "status": "achieved"},
    "TL_LD_CO_BANG_CC": {"actual": "24.06", "achievement_pct": "100.25", "status": "achieved"},
}


def _submission(
    submission_id: str, unit: str, period: str, values: dict[str, Any], index: int
) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "unit_code": unit,
        "period": period,
        "values": [
            {"indicator_code": code, "value": str(pair[index])} for code, pair in values.items()
        ],
        "submitted_by": f"bao-cao-{unit}",
        "submitted_at": datetime(int(period[:4]) + 1, 1, 15, 9, tzinfo=VN_TZ).isoformat(),
    }


def submissions(
    before: str,
    after: str,
    *,
    before_units: Sequence[str] = DISTRICTS,
    after_units: Sequence[str] = COMMUNES,
    prefix: str = "DEMO",
) -> list[dict[str, Any]]:
    """Payloads of ``submission.received.v1``: the earlier year by ``before_units``, the later
    year by ``after_units``."""
    out = []
    for i, unit in enumerate(before_units):
        out.append(_submission(f"{prefix}-{unit}-{before}", unit, before, BEFORE, i))
    for i, unit in enumerate(after_units):
        out.append(_submission(f"{prefix}-{unit}-{after}", unit, after, AFTER, i))
    return out


def targets(period: str, unit: str = PROVINCE) -> list[tuple[str, str, str, str]]:
    """(indicator, unit, period, target) of the province council's plan."""
    return [(code, unit, period, value) for code, value in TARGETS.items()]


# A monthly data set of ten communes for the reporting rates: for October 2025 (due 20 November
# 2025) five report on time, three late and two not at all — reporting rate 80 %, on time 50 %.
DATA_SET: dict[str, Any] = {
    "code": "BC-LDVL-THANG",
    "name_vi": "Báo cáo tháng lao động - việc làm",
    "period_kind": "month",
    "indicators": ["VL_GQVL", "GDNN_TUYEN_SINH"],
    "units": [
        "38.XA.HACTHANH",
        "38.XA.QUANGPHU",
        "38.XA.DONGQUANG",
        "38.XA.DONGSON",
        "38.XA.DONGTIEN",
        "38.XA.HAMRONG",
        "38.XA.NGUYETVIEN",
        "38.XA.SAMSON",
        "38.XA.NAMSAMSON",
        "38.XA.BIMSON",
    ],
    "due_day": 20,
    "due_months_after": 1,
    "remind_days_before": 3,
    "first_period": "2025-10",
}
MONTH = "2025-10"
LATE_UNITS = ("38.XA.HAMRONG", "38.XA.NGUYETVIEN", "38.XA.SAMSON")
MISSING_UNITS = ("38.XA.NAMSAMSON", "38.XA.BIMSON")


def monthly_submissions() -> list[dict[str, Any]]:
    """The October 2025 monthly reports of the data set's communes (none from the missing)."""
    out = []
    for i, unit in enumerate(DATA_SET["units"]):
        if unit in MISSING_UNITS:
            continue
        day = 25 if unit in LATE_UNITS else 14
        out.append(
            {
                "submission_id": f"DEMO-{unit}-{MONTH}",
                "unit_code": unit,
                "period": MONTH,
                "values": [{"indicator_code": "VL_GQVL", "value": str(120 + 10 * i)}],
                "submitted_by": f"bao-cao-{unit}",
                "submitted_at": datetime(2025, 11, day, 9, tzinfo=VN_TZ).isoformat(),
            }
        )
    return out
