from datetime import UTC, datetime
from decimal import Decimal

import pytest
from egov_indicators.domain.definitions import (
    Aggregation,
    IndicatorDefinition,
    ValueType,
    catalogue_from_data,
    load_catalogue,
)
from egov_indicators.domain.expressions import Expression, ExpressionError
from egov_indicators.domain.periods import Period, PeriodKind
from egov_indicators.domain.validation import (
    CompareRule,
    JumpRule,
    OutlierRule,
    RangeRule,
    RequiredRule,
    Severity,
    load_rules,
    rules_from_data,
    validate,
)
from egov_indicators.domain.values import HistoricValue, ReportedValue, Submission
from pydantic import ValidationError

CAT = load_catalogue()
RULES = load_rules(catalogue=CAT)
D = Decimal


def sub(period: str, *values: ReportedValue) -> Submission:
    return Submission(
        "S-1",
        "38.XA.DONGSON",
        Period.parse(period),
        values,
        "xa-dongson",
        datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
    )


def rv(code: str, value: int | str, **dis: str) -> ReportedValue:
    return ReportedValue.of(code, value, dis or None)


POVERTY_OK = (
    rv("HO_TONG", 10000),
    rv("HO_NGHEO", 533),
    rv("HO_CAN_NGHEO", 700),
    rv("TL_HO_NGHEO", "5.33"),
)


def test_demo_catalogue_covers_the_sector() -> None:
    for code in [
        "VL_GQVL",
        "GDNN_TUYEN_SINH",
        "TL_LD_QUA_DAO_TAO",
        "TL_LD_CO_BANG_CC",
        "HO_NGHEO",
        "HO_TONG",
        "TL_HO_NGHEO",
        "HO_CAN_NGHEO",
        "TL_THAT_NGHIEP",
        "NCC_DUOC_HO_TRO",
        "TE_HCDB",
        "BTXH_KINH_PHI",
    ]:
        assert code in CAT
    poverty = CAT["TL_HO_NGHEO"]
    assert poverty.aggregation is Aggregation.RATIO
    assert (poverty.numerator, poverty.denominator) == ("HO_NGHEO", "HO_TONG")
    assert poverty.change_unit == "pp" and poverty.value_type is ValueType.PERCENT
    assert {"VND", "hộ", "người", "%"} <= {d.measure_unit for d in CAT.definitions.values()}
    assert CAT["BTXH_MUC_CHUAN"].aggregation is Aggregation.NONE
    assert {"sex", "area", "age_group"} <= set(CAT["LD_TONG"].disaggregations)
    assert {r.type for r in RULES} == {"required", "compare", "outlier", "jump"}


def test_catalogue_refuses_a_ratio_over_an_unknown_or_non_sum_indicator() -> None:
    base = {
        "measure_unit": "%",
        "value_type": "percent",
        "period_kind": "year",
        "aggregation": "ratio",
        "name_vi": "Tỷ lệ",
    }
    with pytest.raises(ValueError, match="unknown indicator"):
        catalogue_from_data(
            {"indicators": [{**base, "code": "R", "numerator": "A", "denominator": "B"}]}
        )
    with pytest.raises(ValidationError):
        IndicatorDefinition.model_validate({**base, "code": "R"})  # ratio without its parts


def test_a_clean_submission_passes() -> None:
    result = validate(sub("2025", *POVERTY_OK), CAT, RULES)
    assert result.ok and result.errors == () and result.warnings == ()


def test_range_from_the_definition() -> None:
    result = validate(sub("2025", rv("VL_GQVL", -5), rv("TL_THAT_NGHIEP", "101")), CAT, RULES)
    assert [(e.rule_id, e.indicator_code) for e in result.errors] == [
        ("range", "VL_GQVL"),
        ("range", "TL_THAT_NGHIEP"),
    ]
    assert "tối thiểu" in result.errors[0].message_vi and "minimum" in result.errors[0].message_en


def test_range_rule_as_data_warns() -> None:
    rule = RangeRule(id="jobs-plausible", indicator="VL_GQVL", max_value=D(5000))
    result = validate(sub("2026-03", rv("VL_GQVL", 6000)), CAT, [rule])
    assert result.ok
    assert [(w.rule_id, w.value, w.severity) for w in result.warnings] == [
        ("jobs-plausible", D(6000), Severity.WARNING)
    ]


def test_required_values() -> None:
    result = validate(sub("2025", rv("HO_TONG", 10000), rv("HO_NGHEO", 533)), CAT, RULES)
    assert [(e.rule_id, e.indicator_code) for e in result.errors] == [
        ("required-poverty-survey", "HO_CAN_NGHEO")
    ]
    # not triggered when none of the survey's indicators is reported
    assert validate(sub("2026-03", rv("VL_GQVL", 10)), CAT, RULES).ok
    always = RequiredRule(
        id="jobs-monthly", indicators=["VL_GQVL"], period_kinds=[PeriodKind.MONTH]
    )
    assert validate(sub("2026-03", rv("NCC_DUOC_HO_TRO", 1)), CAT, [always]).errors[0].rule_id == (
        "jobs-monthly"
    )
    assert validate(sub("2026-Q1", rv("NCC_DUOC_HO_TRO", 1)), CAT, [always]).ok


def test_cross_indicator_rules() -> None:
    result = validate(
        sub("2025", rv("LD_TONG", 1000), rv("LD_QUA_DAO_TAO", 600), rv("LD_CO_BANG_CC", 601)),
        CAT,
        RULES,
    )
    assert [e.rule_id for e in result.errors] == ["certificate-within-trained"]
    assert "LD_CO_BANG_CC" in result.errors[0].message_en
    # people read the indicators' names beside their codes, never the rule's placeholders
    name = CAT.get("LD_CO_BANG_CC").name_vi
    assert f"{name} (LD_CO_BANG_CC)" in result.errors[0].message_vi
    assert "#{" not in result.errors[0].message_vi + result.errors[0].message_en
    poor = validate(
        sub("2025", rv("HO_TONG", 100), rv("HO_NGHEO", 101), rv("HO_CAN_NGHEO", 0)), CAT, RULES
    )
    assert {e.rule_id for e in poor.errors} == {
        "poor-within-households",
        "poor-and-near-poor-within-households",
    }


def test_rate_must_match_numerator_over_denominator_within_tolerance() -> None:
    def with_rate(rate: str) -> list[str]:
        values = (*POVERTY_OK[:3], rv("TL_HO_NGHEO", rate))
        return [e.rule_id for e in validate(sub("2025", *values), CAT, RULES).errors]

    assert with_rate("5.33") == []
    assert with_rate("5.34") == []  # 0.01 pp of tolerance for rounding
    assert with_rate("5.35") == ["rate-matches-tl-ho-ngheo"]
    assert with_rate("6.74") == ["rate-matches-tl-ho-ngheo"]


def test_cross_rules_apply_within_each_disaggregation() -> None:
    values = (
        rv("HO_TONG", 100, area="urban"),
        rv("HO_NGHEO", 5, area="urban"),
        rv("HO_TONG", 50, area="rural"),
        rv("HO_NGHEO", 60, area="rural"),
    )
    rule = next(r for r in RULES if r.id == "poor-within-households")
    errors = validate(sub("2025", *values), CAT, [rule]).errors
    assert [(e.rule_id, e.disaggregation) for e in errors] == [
        ("poor-within-households", (("area", "rural"),))
    ]


def test_compare_rule_operators_and_tolerance() -> None:
    def holds(op: str, left: int, right: int, tol: str = "0") -> bool | None:
        rule = CompareRule(
            id="r",
            left="#{A}",
            operator=op,
            right="#{B}",
            tolerance=D(tol),
        )
        outcome = rule.holds({"A": D(left), "B": D(right)})
        return None if outcome is None else outcome[0]

    assert holds("<", 1, 2) and not holds("<", 2, 2)
    assert holds("<=", 2, 2) and not holds("<=", 3, 2) and holds("<=", 3, 2, "1")
    assert holds(">=", 2, 2) and not holds(">=", 1, 2) and holds(">=", 1, 2, "1")
    assert holds(">", 3, 2) and not holds(">", 2, 2)
    assert holds("==", 2, 2) and not holds("==", 2, 3) and holds("==", 2, 3, "1")
    assert holds("!=", 2, 3) and not holds("!=", 2, 2)
    missing = CompareRule(id="r", left="#{A}", operator="<=", right="#{C}")
    assert missing.holds({"A": D(1)}) is None  # skipped when a value is missing
    zero = CompareRule(id="r", left="#{A}", operator="==", right="#{A} / #{B}")
    assert zero.holds({"A": D(1), "B": D(0)}) is None


def test_rules_refuse_unsafe_expressions_and_unknown_codes() -> None:
    with pytest.raises(ExpressionError):
        Expression.parse("__import__('os').system('true')")
    with pytest.raises(ValidationError):
        rules_from_data(
            {
                "rules": [
                    {
                        "id": "x",
                        "type": "compare",
                        "left": "#{A}.real",
                        "operator": "<",
                        "right": "1",
                    }
                ]
            }
        )
    with pytest.raises(ValueError, match="unknown indicators"):
        rules_from_data(
            {
                "rules": [
                    {"id": "x", "type": "compare", "left": "#{NOPE}", "operator": "<", "right": "1"}
                ]
            },
            CAT,
        )
    assert Expression.parse("(#{A} + #{B}) * 0.1").evaluate({"A": D(1), "B": D(2)}) == D("0.3")


def test_built_in_checks() -> None:
    result = validate(
        sub(
            "2026-03",
            rv("NOPE", 1),
            rv("VL_GQVL", "10.5"),
            rv("VL_XKLD", 3, sex="other"),
            rv("HO_NGHEO", 3),  # a yearly indicator reported for a month
            rv("NCC_DUOC_HO_TRO", 1),
            rv("NCC_DUOC_HO_TRO", 2),
        ),
        CAT,
    )
    assert [(e.rule_id, e.indicator_code) for e in result.errors] == [
        ("unknown-indicator", "NOPE"),
        ("value-type", "VL_GQVL"),
        ("disaggregation", "VL_XKLD"),
        ("period-kind", "HO_NGHEO"),
        ("duplicate-value", "NCC_DUOC_HO_TRO"),
    ]


def test_disaggregated_values_must_add_up_to_the_total() -> None:
    values = (rv("VL_GQVL", 100), rv("VL_GQVL", 60, sex="male"), rv("VL_GQVL", 41, sex="female"))
    assert [e.rule_id for e in validate(sub("2026-03", *values), CAT).errors] == [
        "disaggregation-total"
    ]
    fine = (rv("VL_GQVL", 100), rv("VL_GQVL", 60, sex="male"), rv("VL_GQVL", 40, sex="female"))
    assert validate(sub("2026-03", *fine), CAT).ok
    partial = (rv("VL_GQVL", 100), rv("VL_GQVL", 160, sex="male"))  # breakdown incomplete
    assert validate(sub("2026-03", *partial), CAT).ok


def hist(code: str, *pairs: tuple[str, int]) -> list[HistoricValue]:
    return [HistoricValue(code, Period.parse(p), D(v)) for p, v in pairs]


MONTHS = hist(
    "VL_GQVL",
    ("2025-10", 1000),
    ("2025-11", 1040),
    ("2025-12", 980),
    ("2026-01", 1010),
    ("2026-02", 990),
)


def test_outlier_against_history_is_a_warning_not_a_rejection() -> None:
    rule = OutlierRule(id="outlier-3-sigma")
    result = validate(sub("2026-03", rv("VL_GQVL", 1400)), CAT, [rule], MONTHS)
    assert result.ok
    assert [(w.rule_id, w.severity) for w in result.warnings] == [
        ("outlier-3-sigma", Severity.WARNING)
    ]
    assert not validate(sub("2026-03", rv("VL_GQVL", 1060)), CAT, [rule], MONTHS).warnings
    # too little history: no judgement
    assert not validate(sub("2026-03", rv("VL_GQVL", 9999)), CAT, [rule], MONTHS[:3]).warnings
    # only earlier periods of the same kind count
    yearly = hist("VL_GQVL", ("2022", 12000), ("2023", 12500), ("2024", 11800), ("2025", 12100))
    assert not validate(sub("2026-03", rv("VL_GQVL", 1000)), CAT, [rule], yearly).warnings


def test_jump_from_previous_period_warns() -> None:
    rule = next(r for r in RULES if isinstance(r, JumpRule))
    jumped = validate(sub("2026-03", rv("VL_GQVL", 1500)), CAT, [rule], MONTHS)
    assert jumped.ok and [w.rule_id for w in jumped.warnings] == ["jump-over-50-percent"]
    assert "51.5152%" in jumped.warnings[0].message_en
    assert not validate(sub("2026-03", rv("VL_GQVL", 1480)), CAT, [rule], MONTHS).warnings
    assert not validate(sub("2026-04", rv("VL_GQVL", 5000)), CAT, [rule], MONTHS).warnings


def test_every_violation_is_listed_at_once() -> None:
    result = validate(
        sub(
            "2025",
            rv("HO_TONG", 100),
            rv("HO_NGHEO", 150),
            rv("TL_HO_NGHEO", "120"),
            rv("VL_GQVL", -1),
        ),
        CAT,
        RULES,
    )
    assert {e.rule_id for e in result.errors} == {
        "range",
        "required-poverty-survey",
        "poor-within-households",
        "rate-matches-tl-ho-ngheo",
    }
    assert len([e for e in result.errors if e.rule_id == "range"]) == 2
    assert all(e.message_vi and e.message_en for e in result.errors)
