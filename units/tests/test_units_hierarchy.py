"""The date-aware admin-unit hierarchy: validity, parents and successors (the 2025 reform)."""

from datetime import date

from egov_units import AdminUnit, Hierarchy
from hypothesis import given
from hypothesis import strategies as st

REFORM = date(2025, 7, 1)
ENDED = date(2025, 6, 30)
BEFORE, AFTER = date(2024, 12, 31), date(2026, 3, 2)

# Thanh Hóa around the reforms: the department handed over to Sở Nội vụ (1 March 2025), two
# districts abolished and each succeeded by a new commune directly under the province, a
# pre-reform commune of a district merged into a new one, an office closed without successor.
UNITS = Hierarchy(
    [
        AdminUnit("38", None, "Tỉnh Thanh Hóa", "province", date(1976, 1, 1)),
        AdminUnit("38.SLDTBXH", "38", "Sở LĐ-TB&XH", "agency", None, date(2025, 2, 28), "38.SNV"),
        AdminUnit("38.SNV", "38", "Sở Nội vụ", "agency", date(2025, 3, 1)),
        AdminUnit("38.SNV.NCC", "38.SNV", "Phòng Người có công", "agency", date(2025, 3, 1)),
        AdminUnit(
            "38.SLDTBXH.BTXH", "38.SLDTBXH", "Phòng Bảo trợ (cũ)", "agency", None, ENDED, None
        ),
        AdminUnit(
            "38.380",
            "38",
            "Thành phố Thanh Hóa",
            "district",
            date(1994, 5, 1),
            ENDED,
            "38.XA.HACTHANH",
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
)


def test_resolution_through_successors() -> None:
    assert UNITS.resolve("38.389.01", BEFORE) == "38.389.01"
    assert UNITS.resolve("38.389.01", AFTER) == "38.XA.DONGTIEN"
    assert UNITS.resolve("38.XA.DONGTIEN", BEFORE) is None  # not yet in existence
    assert UNITS.resolve("38.SLDTBXH.BTXH", AFTER) is None  # ended without a successor
    assert UNITS.resolve("99", AFTER) is None
    assert UNITS.ancestors_at("38.389.01", BEFORE) == ["38.389", "38"]
    assert UNITS.rolls_into("38.389", AFTER) == "38.XA.DONGSON"


def test_the_unit_answering_for_a_former_one_is_its_successor_after_the_merger() -> None:
    assert UNITS.answering("38.380", AFTER) == "38.XA.HACTHANH"
    assert UNITS.answering("38.380", BEFORE) == "38.380"
    assert UNITS.answering("38.SLDTBXH", date(2025, 3, 1)) == "38.SNV"
    assert UNITS.answering("38.SLDTBXH.BTXH", AFTER) == "38.SLDTBXH.BTXH"
    assert UNITS.answering("99.UNKNOWN", AFTER) == "99.UNKNOWN"


def test_ancestry_is_the_answering_unit_then_its_parents_on_the_day() -> None:
    assert UNITS.ancestry("38.SNV.NCC", AFTER) == ["38.SNV.NCC", "38.SNV", "38"]
    assert UNITS.ancestry("38.380", AFTER) == ["38.XA.HACTHANH", "38"]
    assert UNITS.ancestry("38.380", BEFORE) == ["38.380", "38"]
    assert UNITS.ancestry("38.389.01", BEFORE) == ["38.389.01", "38.389", "38"]
    assert UNITS.ancestry("38.389.01", AFTER) == ["38.XA.DONGTIEN", "38"]
    # ended without a successor: kept under its parent as that parent stands on the day
    assert UNITS.ancestry("38.SLDTBXH.BTXH", AFTER) == ["38.SLDTBXH.BTXH", "38.SNV", "38"]
    assert UNITS.ancestry("99.UNKNOWN", AFTER) == ["99.UNKNOWN"]


def test_descendants_include_the_former_units_a_unit_answers_for() -> None:
    assert UNITS.descendants("38.XA.HACTHANH", AFTER) == ["38.XA.HACTHANH", "38.380"]
    assert UNITS.descendants("38.XA.HACTHANH", BEFORE) == ["38.XA.HACTHANH"]
    assert UNITS.descendants("38.389", BEFORE) == ["38.389", "38.389.01"]
    assert UNITS.descendants("38.SNV", AFTER) == [
        "38.SNV",
        "38.SLDTBXH",
        "38.SLDTBXH.BTXH",
        "38.SNV.NCC",
    ]
    assert UNITS.descendants("38", AFTER) == ["38", *sorted(set(UNITS.codes) - {"38"})]
    assert UNITS.descendants("99.UNKNOWN", AFTER) == ["99.UNKNOWN"]


def test_a_cycle_in_bad_reference_data_does_not_loop() -> None:
    tree = Hierarchy([AdminUnit("A", "B"), AdminUnit("B", "A")])
    assert tree.ancestry("A", AFTER) == ["A", "B"]
    assert tree.descendants("A", AFTER) == ["A", "B"]
    merged = Hierarchy(
        [
            AdminUnit("A", None, valid_to=ENDED, successor_code="B"),
            AdminUnit("B", None, valid_to=ENDED, successor_code="A"),
        ]
    )
    assert merged.resolve("A", AFTER) is None and merged.answering("A", AFTER) == "A"


def test_units_from_reference_records() -> None:
    record = {
        "unit_code": "38.380",
        "name": "Thành phố Thanh Hóa",
        "level": "district",
        "parent_code": "38",
        "valid_from": "1994-05-01",
        "valid_to": "2025-06-30",
        "successor_code": "38.XA.HACTHANH",
    }
    assert AdminUnit.from_record(record) == UNITS.get("38.380")
    assert (
        AdminUnit.from_record({**record, "valid_to": "", "successor_code": None}).valid_to is None
    )


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)))
def test_every_unit_lies_in_the_subtree_of_each_unit_of_its_ancestry(day: date) -> None:
    for code in UNITS.codes:
        chain = UNITS.ancestry(code, day)
        assert chain[-1] == "38" and len(set(chain)) == len(chain)
        for above in chain[1:]:
            assert code in UNITS.descendants(above, day)
    for code in UNITS.codes:  # and nothing else lies below a unit
        for below in UNITS.descendants(code, day)[1:]:
            assert code in UNITS.ancestry(below, day)


@st.composite
def hierarchies(draw: st.DrawFn) -> Hierarchy:
    """Random units (parents, validity, successors; cycles included: bad data happens)."""
    codes = [f"U{i}" for i in range(draw(st.integers(min_value=1, max_value=12)))]
    some_code = st.none() | st.sampled_from(codes)
    day = st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1))
    units = []
    for code in codes:
        start, end = draw(day), draw(day)
        if start and end and end < start:
            start, end = end, start
        successor = draw(some_code) if end else None
        units.append(
            AdminUnit(
                code, draw(some_code), valid_from=start, valid_to=end, successor_code=successor
            )
        )
    return Hierarchy(units)


@given(hierarchies(), st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 1, 1)))
def test_descendants_are_the_units_whose_ancestry_passes_through(tree: Hierarchy, day: date):
    for code in tree.codes:
        expected = sorted(c for c in tree.codes if c != code and code in tree.ancestry(c, day))
        assert tree.descendants(code, day) == [code, *expected]
