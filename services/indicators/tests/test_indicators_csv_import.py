from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from egov_indicators.domain.csv_import import CsvImport, import_csv
from egov_indicators.domain.definitions import load_catalogue
from egov_indicators.domain.periods import Period
from egov_indicators.domain.validation import load_rules, validate

CAT = load_catalogue()
D = Decimal
WHEN = datetime(2026, 1, 8, 14, 30, tzinfo=UTC)


def run(text: str, **kwargs: Any) -> CsvImport:
    return import_csv(
        text, CAT, submission_id="CSV-7", submitted_by="huyen-upload", submitted_at=WHEN, **kwargs
    )


GOOD = """unit_code,period,indicator_code,value,disaggregation
38.XA.DONGSON,2026-03,VL_GQVL,1200,
38.XA.DONGSON,2026-03,VL_GQVL,700,sex=male
38.XA.DONGSON,2026-03,VL_GQVL,500,sex=female
38.XA.DONGSON,2025,HO_TONG,10000,
38.XA.DONGSON,2025,HO_NGHEO,533,
38.XA.DONGSON,2025,HO_CAN_NGHEO,700,
38.XA.DONGSON,2025,TL_HO_NGHEO,5.33,
"""


def test_a_clean_file_becomes_one_submission_per_unit_and_period() -> None:
    result = run(GOOD)
    s = result.summary
    assert (s.imported, s.updated, s.ignored, s.conflicts, s.status) == (7, 0, 0, (), "SUCCESS")
    assert [(x.submission_id, x.unit_code, str(x.period)) for x in result.submissions] == [
        ("CSV-7/38.XA.DONGSON/2026-03", "38.XA.DONGSON", "2026-03"),
        ("CSV-7/38.XA.DONGSON/2025", "38.XA.DONGSON", "2025"),
    ]
    march = result.submissions[0]
    assert march.by_key() == {
        ("VL_GQVL", ()): D(1200),
        ("VL_GQVL", (("sex", "male"),)): D(700),
        ("VL_GQVL", (("sex", "female"),)): D(500),
    }
    assert march.submitted_by == "huyen-upload" and march.submitted_at == WHEN
    rules = load_rules(catalogue=CAT)
    assert all(validate(x, CAT, rules).ok for x in result.submissions)


def test_summary_against_recorded_values_and_bad_rows() -> None:
    text = (
        "\ufeff"
        + """unit_code;period;indicator_code;value;disaggregation
38.XA.DONGSON;2026-03;VL_GQVL;1200;
38.XA.DONGSON;2026-03;NCC_DUOC_HO_TRO;45;
38.XA.DONGSON;2026-03;VL_XKLD;12;

38.XA.DONGSON;2026-3;VL_GQVL;5;
38.XA.DONGSON;2026-03;KHONG_CO;5;
38.XA.DONGSON;2026-03;GDNN_TUYEN_SINH;16,856;
38.XA.DONGSON;2026-03;GDNN_TUYEN_SINH;900;sex=unknown
38.XA.DONGSON;2026-03;GDNN_TUYEN_SINH;900;sex
;2026-03;GDNN_TUYEN_SINH;900;
38.XA.HACTHANH;2026-03;GDNN_TUYEN_SINH;900;
38.XA.DONGSON;2026-03;BTXH_KINH_PHI;1000000;
38.XA.DONGSON;2026-03;BTXH_KINH_PHI;2000000;
38.XA.DONGSON;2026-03;NCC_DUOC_HO_TRO;45;
38.XA.DONGSON;2026-03;GDNN_TUYEN_SINH;350;;extra
38.XA.DONGSON;2026-03;GDNN_TUYEN_SINH; 350 ;sex=female
"""
    )
    existing = {
        ("38.XA.DONGSON", Period.parse("2026-03")): {
            ("VL_GQVL", ()): D(1100),  # → updated
            ("NCC_DUOC_HO_TRO", ()): D(45),  # → unchanged, ignored
        }
    }
    result = run(text, existing=existing, allowed_units={"38.XA.DONGSON"})
    s = result.summary
    assert [c.row for c in s.conflicts] == [6, 7, 8, 9, 10, 11, 12, 13, 14, 16]
    reasons = {c.row: c.reason_en for c in s.conflicts}
    assert "Invalid period" in reasons[6]
    assert "Unknown indicator" in reasons[7]
    assert "Not a number" in reasons[8]
    assert "Invalid disaggregation" in reasons[9] and "Invalid disaggregation" in reasons[10]
    assert "Missing unit_code" in reasons[11]
    assert "outside the reporting scope" in reasons[12]
    assert "Conflicts with row 13" in reasons[14] and "different value" in reasons[13]
    assert "More cells" in reasons[16]
    assert all(c.reason_vi for c in s.conflicts)
    # imported: VL_XKLD and GDNN_TUYEN_SINH (sex=female); updated: VL_GQVL;
    # ignored: NCC unchanged, its repeat on row 15, and the ten conflicting rows
    assert (s.imported, s.updated, s.ignored, s.status) == (2, 1, 12, "WARNING")
    (only,) = result.submissions
    assert only.by_key() == {
        ("VL_GQVL", ()): D(1200),
        ("NCC_DUOC_HO_TRO", ()): D(45),
        ("VL_XKLD", ()): D(12),
        ("GDNN_TUYEN_SINH", (("sex", "female"),)): D(350),
    }


def test_missing_columns_is_one_conflict_on_the_header() -> None:
    result = run("unit,period,indicator_code,value\nX,2026,VL_GQVL,1\n")
    assert result.submissions == ()
    assert [(c.row, c.reason_en) for c in result.summary.conflicts] == [
        (1, "Missing column(s) unit_code")
    ]
    assert result.summary.status == "ERROR"


def test_values_the_rules_refuse_are_left_to_validation() -> None:
    text = "unit_code,period,indicator_code,value\n38.XA.DONGSON,2025,HO_NGHEO,12.5\n"
    result = run(text)
    assert result.summary.conflicts == ()
    errors = validate(result.submissions[0], CAT, load_rules(catalogue=CAT)).errors
    assert {e.rule_id for e in errors} == {"value-type", "required-poverty-survey"}


def test_each_kept_cell_knows_its_row() -> None:
    result = run(GOOD)
    assert result.rows[("38.XA.DONGSON", Period.parse("2026-03"), ("VL_GQVL", ()))] == 2
    assert result.rows[("38.XA.DONGSON", Period.parse("2025"), ("TL_HO_NGHEO", ()))] == 8
    assert len(result.rows) == 7
