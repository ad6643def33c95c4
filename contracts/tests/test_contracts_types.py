"""Property tests of the shared constrained types: periods, codes, decimals on the wire."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from egov_contracts.types import DECIMAL_PATTERN, PERCENT_PATTERN, Amount, Code, Percent, Period
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError


class Box(BaseModel):
    period: Period | None = None
    code: Code | None = None
    amount: Amount | None = None
    percent: Percent | None = None


def _is_period(text: str) -> bool:
    """Independent reading of the period grammar: YYYY[-Qn|-Hn|-MM]."""
    year, sep, rest = text.partition("-")
    if len(year) != 4 or not year.isdigit() or not year.isascii():
        return False
    if not sep:
        return True
    return rest in {"Q1", "Q2", "Q3", "Q4", "H1", "H2"} or rest in {
        f"{m:02d}" for m in range(1, 13)
    }


suffixes = st.sampled_from(["", "-Q1", "-Q4", "-H1", "-H2", "-01", "-07", "-12"])


@given(st.integers(1000, 9999), suffixes)
def test_valid_periods_are_accepted(year, suffix):
    assert Box(period=f"{year}{suffix}").period == f"{year}{suffix}"


@given(
    st.one_of(
        st.text(max_size=9),
        st.builds(
            "{}-{}".format,
            st.integers(0, 99999),
            st.text(alphabet="QHM0123456789", max_size=3),
        ),
    )
)
def test_periods_follow_the_grammar(text):
    if _is_period(text):
        assert Box(period=text).period == text
    else:
        with pytest.raises(ValidationError):
            Box(period=text)


@pytest.mark.parametrize(
    "bad", ["2026-Q5", "2026-H3", "2026-13", "2026-00", "26-Q1", "2026Q1", "٢٠٢٦"]
)
def test_known_bad_periods(bad):
    with pytest.raises(ValidationError):
        Box(period=bad)


@given(st.from_regex(r"\A[0-9A-Za-z][0-9A-Za-z._/\-]{0,40}\Z"), st.sampled_from(["", " ", "\t"]))
def test_codes_are_stripped_and_kept(code, pad):
    assert Box(code=f"{pad}{code}{pad}").code == code


@given(st.text(min_size=1, max_size=20).filter(lambda s: re.search(r"[^0-9A-Za-z._/\-\s]", s)))
def test_codes_reject_other_characters(text):
    with pytest.raises(ValidationError):
        Box(code=text)


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12))
def test_amounts_travel_as_plain_decimal_strings(value):
    wire = json.loads(Box(amount=value).model_dump_json())["amount"]
    assert re.fullmatch(DECIMAL_PATTERN, wire), wire
    assert Box.model_validate({"amount": wire}).amount == value


@given(st.decimals(min_value=0, max_value=99999, places=2))
def test_percents_travel_with_two_decimals(value):
    wire = json.loads(Box(percent=value).model_dump_json())["percent"]
    assert re.fullmatch(PERCENT_PATTERN, wire), wire
    assert Decimal(wire) == value
    assert Box.model_validate_json(json.dumps({"percent": wire})).percent == value


def test_percent_refuses_more_precision_and_non_numbers():
    for bad in ("99.987", "NaN", "Infinity"):
        with pytest.raises(ValidationError):
            Box(percent=bad)
