from datetime import date
from decimal import Decimal

from egov_indicators.domain.achievement import round_half_up
from egov_indicators.domain.definitions import load_catalogue
from egov_indicators.domain.hierarchy import DerivedValue, roll_up
from egov_indicators.domain.periods import Period
from egov_indicators.domain.values import UnitValue, disagg_key
from egov_units import AdminUnit
from hypothesis import given
from hypothesis import strategies as st

CAT = load_catalogue()
D = Decimal
REFORM = date(2025, 7, 1)
ENDED = date(2025, 6, 30)

# Thanh Hóa around the 2025 reform: two districts abolished, each succeeded by a new commune
# directly under the province; a pre-reform commune of a district merged into a new one.
UNITS = [
    AdminUnit("38", None, "Tỉnh Thanh Hóa", "province", date(1976, 1, 1)),
    AdminUnit(
        "38.380", "38", "Thành phố Thanh Hóa", "district", date(1994, 5, 1), ENDED, "38.XA.HACTHANH"
    ),
    AdminUnit(
        "38.389", "38", "Huyện Đông Sơn", "district", date(1976, 1, 1), ENDED, "38.XA.DONGSON"
    ),
    AdminUnit(
        "38.389.01",
        "38.389",
        "Xã Đông Tiến (cũ)",
        "commune",
        date(1976, 1, 1),
        ENDED,
        "38.XA.DONGTIEN",
    ),
    AdminUnit("38.XA.HACTHANH", "38", "Phường Hạc Thành", "commune", REFORM),
    AdminUnit("38.XA.DONGSON", "38", "Phường Đông Sơn", "commune", REFORM),
    AdminUnit("38.XA.DONGTIEN", "38", "Phường Đông Tiến", "commune", REFORM),
]


def uv(code: str, unit: str, period: str, value: int | str, **dis: str) -> UnitValue:
    return UnitValue(code, unit, Period.parse(period), D(value), disagg_key(dis))


def by(derived: list[DerivedValue], code: str, unit: str, **dis: str) -> DerivedValue:
    found = [
        d
        for d in derived
        if d.indicator_code == code and d.unit_code == unit and d.disaggregation == disagg_key(dis)
    ]
    assert len(found) == 1, (code, unit, dis, derived)
    return found[0]


def test_rate_rolls_up_weighted_not_as_a_simple_mean() -> None:
    values = [
        uv("HO_TONG", "38.380", "2024", 1000),
        uv("HO_NGHEO", "38.380", "2024", 100),
        uv("TL_HO_NGHEO", "38.380", "2024", "10.00"),
        uv("HO_TONG", "38.389", "2024", 9000),
        uv("HO_NGHEO", "38.389", "2024", 90),
        uv("TL_HO_NGHEO", "38.389", "2024", "1.00"),
    ]
    derived = roll_up(values, UNITS, Period.parse("2024"), CAT)
    rate = by(derived, "TL_HO_NGHEO", "38")
    assert rate.value == D("1.90")  # 190 / 10,000 households
    assert rate.value != (D("10.00") + D("1.00")) / 2  # the simple mean would be 5.50
    assert (rate.numerator, rate.denominator) == (D(190), D(10000))
    assert set(rate.sources) == {"38.380", "38.389"}
    assert by(derived, "HO_NGHEO", "38").value == D(190)
    assert by(derived, "HO_TONG", "38").value == D(10000)
    # the districts' reported rates are theirs, not derived again
    assert not [d for d in derived if d.unit_code in {"38.380", "38.389"}]


def test_seed_trained_labour_rates_from_numerator_and_denominator() -> None:
    values = [
        uv("LD_TONG", "38.XA.HACTHANH", "2025", 1_500_000),
        uv("LD_QUA_DAO_TAO", "38.XA.HACTHANH", "2025", 930_000),  # 62.00 %
        uv("LD_CO_BANG_CC", "38.XA.HACTHANH", "2025", 390_000),  # 26.00 %
        uv("LD_TONG", "38.XA.DONGSON", "2025", 500_000),
        uv("LD_QUA_DAO_TAO", "38.XA.DONGSON", "2025", 273_400),  # 54.68 %
        uv("LD_CO_BANG_CC", "38.XA.DONGSON", "2025", 91_200),  # 18.24 %
    ]
    derived = roll_up(values, UNITS, Period.parse("2025"), CAT)
    assert by(derived, "TL_LD_QUA_DAO_TAO", "38").value == D("60.17")
    assert by(derived, "TL_LD_CO_BANG_CC", "38").value == D("24.06")
    assert by(derived, "TL_LD_QUA_DAO_TAO", "38.XA.DONGSON").value == D("54.68")
    # the simple mean of the communes' rates would be 58.34 and 22.12
    assert by(derived, "TL_LD_QUA_DAO_TAO", "38").value != D("58.34")


def test_seed_poverty_rates_and_change() -> None:
    from egov_indicators.domain.achievement import change_vs_previous

    rates = {}
    for year, poor in (("2024", 67_400), ("2025", 53_300)):
        values = [
            uv("HO_TONG", "38.XA.HACTHANH", year, 600_000),
            uv("HO_NGHEO", "38.XA.HACTHANH", year, poor - 20_000),
            uv("HO_TONG", "38.XA.DONGSON", year, 400_000),
            uv("HO_NGHEO", "38.XA.DONGSON", year, 20_000),
        ]
        derived = roll_up(values, UNITS, Period.parse(year), CAT, structure_on=date(2025, 12, 31))
        rates[year] = by(derived, "TL_HO_NGHEO", "38").value
    assert rates == {"2024": D("6.74"), "2025": D("5.33")}
    change = change_vs_previous(CAT["TL_HO_NGHEO"], rates["2025"], rates["2024"])
    assert change.label == "−1.41 pp"


def test_counts_sum_and_none_is_not_rolled_up() -> None:
    values = [
        uv("VL_GQVL", "38.XA.HACTHANH", "2026-03", 1200),
        uv("VL_GQVL", "38.XA.DONGSON", "2026-03", 300),
        uv("BTXH_MUC_CHUAN", "38.XA.HACTHANH", "2026", 500_000),
        uv("BTXH_MUC_CHUAN", "38.XA.DONGSON", "2026", 500_000),
    ]
    march = roll_up(values, UNITS, Period.parse("2026-03"), CAT)
    assert [(d.indicator_code, d.unit_code, d.value) for d in march] == [("VL_GQVL", "38", D(1500))]
    assert roll_up(values, UNITS, Period.parse("2026"), CAT) == []


def test_a_former_district_rolls_into_its_successor_after_the_reform() -> None:
    # Reports for 2025 from units that ended on 30 June 2025 (filed for their part of the year).
    values = [
        uv("VL_GQVL", "38.380", "2025", 5000),
        uv("VL_GQVL", "38.389.01", "2025", 700),
        uv("VL_GQVL", "38.XA.DONGTIEN", "2025", 300),
        uv("VL_GQVL", "38.XA.DONGSON", "2025", 900),
    ]
    derived = roll_up(values, UNITS, Period.parse("2025"), CAT)
    hac_thanh = by(derived, "VL_GQVL", "38.XA.HACTHANH")
    assert hac_thanh.value == D(5000) and hac_thanh.sources == ("38.380",)
    # the successor's own report wins over its predecessor's (no double counting)
    assert not [d for d in derived if d.unit_code == "38.XA.DONGTIEN"]
    province = by(derived, "VL_GQVL", "38")
    assert province.value == D(5000 + 300 + 900)
    # the former district keeps its own value: nothing is derived under it
    assert not [d for d in derived if d.unit_code in {"38.380", "38.389", "38.389.01"}]


def test_before_the_reform_values_roll_up_through_the_districts() -> None:
    values = [uv("VL_GQVL", "38.389.01", "2024", 700), uv("VL_GQVL", "38.380", "2024", 5000)]
    derived = roll_up(values, UNITS, Period.parse("2024"), CAT)
    assert by(derived, "VL_GQVL", "38.389").value == D(700)
    assert by(derived, "VL_GQVL", "38").value == D(5700)
    assert not [d for d in derived if d.unit_code.startswith("38.XA")]


def test_a_2024_report_restated_in_the_units_after_the_reform() -> None:
    values = [uv("VL_GQVL", "38.389.01", "2024", 700), uv("VL_GQVL", "38.380", "2024", 5000)]
    derived = roll_up(values, UNITS, Period.parse("2024"), CAT, structure_on=date(2026, 1, 1))
    assert by(derived, "VL_GQVL", "38.XA.DONGTIEN").value == D(700)
    assert by(derived, "VL_GQVL", "38.XA.HACTHANH").value == D(5000)
    assert by(derived, "VL_GQVL", "38").value == D(5700)


def test_disaggregations_roll_up_separately() -> None:
    values = [
        uv("HO_TONG", "38.XA.HACTHANH", "2026", 800, area="urban"),
        uv("HO_NGHEO", "38.XA.HACTHANH", "2026", 8, area="urban"),
        uv("HO_TONG", "38.XA.DONGSON", "2026", 200, area="urban"),
        uv("HO_NGHEO", "38.XA.DONGSON", "2026", 12, area="urban"),
        uv("HO_TONG", "38.XA.DONGSON", "2026", 500, area="rural"),
        uv("HO_NGHEO", "38.XA.DONGSON", "2026", 50, area="rural"),
    ]
    derived = roll_up(values, UNITS, Period.parse("2026"), CAT)
    assert by(derived, "TL_HO_NGHEO", "38", area="urban").value == D("2.00")
    assert by(derived, "TL_HO_NGHEO", "38", area="rural").value == D("10.00")
    assert not [d for d in derived if d.unit_code == "38" and d.disaggregation == ()]


def test_values_of_other_periods_are_left_out() -> None:
    values = [
        uv("VL_GQVL", "38.XA.DONGSON", "2026-02", 10),
        uv("VL_GQVL", "38.XA.DONGSON", "2026-03", 5),
    ]
    derived = roll_up(values, UNITS, Period.parse("2026-03"), CAT)
    assert by(derived, "VL_GQVL", "38").value == D(5)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=100)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_province_rate_is_total_numerator_over_total_denominator(
    communes: list[tuple[int, int]],
) -> None:
    units = [AdminUnit("38", None)] + [AdminUnit(f"38.C{i}", "38") for i in range(len(communes))]
    values = []
    for i, (households, poor_pct) in enumerate(communes):
        poor = households * poor_pct // 100
        values += [
            uv("HO_TONG", f"38.C{i}", "2026", households),
            uv("HO_NGHEO", f"38.C{i}", "2026", poor),
        ]
    derived = roll_up(values, units, Period.parse("2026"), CAT)
    total = sum(h for h, _ in communes)
    poor_total = sum(h * p // 100 for h, p in communes)
    assert by(derived, "HO_TONG", "38").value == total
    assert by(derived, "TL_HO_NGHEO", "38").value == round_half_up(D(poor_total) / total * 100)
