"""Cross-field rules of the models, the topics, and the demo reference data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from egov_contracts import nominations as m
from egov_contracts.envelope import all_event_types
from egov_contracts.examples import example_for
from egov_contracts.reference import DEMO_UNITS, UnitLevel, UnitUpserted, load_units
from egov_contracts.topics import (
    ALL_TOPICS,
    INBOUND_TOPICS,
    REFERENCE_CALENDAR,
    REFERENCE_UNITS,
    dead_letter_topic,
)
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

VOTED = "vn.egov.nominations.nomination.voted.v1"


@given(st.integers(1, 40), st.integers(0, 45), st.integers(0, 45))
def test_a_tally_must_add_up(total, present, votes):
    base = example_for(VOTED).model_dump()
    fields = {"members_total": total, "members_present": present, "votes_for": votes}
    if votes <= present <= total:
        assert m.NominationVoted.model_validate({**base, **fields}).votes_for == votes
    else:
        with pytest.raises(ValidationError, match="votes_for <= members_present"):
            m.NominationVoted.model_validate({**base, **fields})


def test_a_vote_without_quorum_cannot_pass():
    base = example_for(VOTED).model_dump()
    with pytest.raises(ValidationError, match="quorum"):
        m.NominationVoted.model_validate({**base, "quorum_met": False, "passed": True})


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(-400, 400))
def test_unit_history_is_ordered(start, days):
    end = start + timedelta(days=days)
    fields = {"unit_code": "38.X", "name": "X", "level": "commune", "valid_from": start}
    if end >= start:
        assert UnitUpserted(**fields, valid_to=end).valid_to == end
    else:
        with pytest.raises(ValidationError, match="before valid_from"):
            UnitUpserted(**fields, valid_to=end)


def test_a_successor_needs_an_end_and_a_unit_is_not_its_own_parent():
    with pytest.raises(ValidationError, match="must have valid_to"):
        UnitUpserted(unit_code="38.1", name="A", level="district", successor_code="38.2")
    with pytest.raises(ValidationError, match="own parent"):
        UnitUpserted(unit_code="38.1", name="A", level="district", parent_code="38.1")


def test_rate_period_is_ordered():
    rate = example_for("vn.egov.procedures.on-time-rate.computed.v1")
    with pytest.raises(ValidationError, match="period_to"):
        type(rate).model_validate({**rate.model_dump(), "period_to": date(2026, 1, 1)})


def test_demo_units_form_a_post_reform_province_that_keeps_its_history():
    units = {u.unit_code: u for u in load_units(DEMO_UNITS)}
    provinces = [u for u in units.values() if u.level is UnitLevel.PROVINCE]
    assert len(provinces) == 1
    reform = date(2025, 7, 1)
    communes = [u for u in units.values() if u.level is UnitLevel.COMMUNE]
    assert len(communes) >= 15 and all(u.valid_from == reform for u in communes)
    districts = [u for u in units.values() if u.level is UnitLevel.DISTRICT]
    assert districts and all(u.valid_to == reform - timedelta(days=1) for u in districts)
    for u in units.values():
        assert u.parent_code is None or u.parent_code in units, u.unit_code
        if u.successor_code is not None:
            successor = units[u.successor_code]
            assert u.valid_to is not None and successor.valid_from == u.valid_to + timedelta(1)


def test_load_units_reads_empty_cells_as_none(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "unit_code,name,level,parent_code,valid_from,valid_to,successor_code\n"
        "01,Thành phố Hà Nội,province,,2008-08-01,,\n",
        encoding="utf-8",
    )
    [unit] = load_units(path)
    assert unit.parent_code is None and unit.valid_to is None
    assert unit.valid_from == date(2008, 8, 1)


def test_every_type_lives_on_a_declared_topic():
    names = {t.name for t in ALL_TOPICS}
    assert {m.topic for m in all_event_types().values()} == names
    assert INBOUND_TOPICS <= names
    reference = {REFERENCE_UNITS, REFERENCE_CALENDAR}
    assert all(t.compacted for t in reference)
    assert not any(t.compacted for t in ALL_TOPICS if t not in reference)
    assert len(names) == len(ALL_TOPICS)


def test_dead_letter_topic_names_the_service():
    dlq = dead_letter_topic("indicators")
    assert dlq.name == "egov.indicators.dead-letters" and dlq.retention_ms
    assert dlq.name not in {t.name for t in ALL_TOPICS}
