"""One time zone for every time a person or a consuming system reads: every time field of
every event type is written in Vietnam time (+07:00), whatever zone its producer used, and a
time sent without an offset is read as Vietnam time. (The running services' answers and
events: ``tests/test_surface_demo.py``.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from egov_contracts import procedures as p
from egov_contracts.envelope import (
    CloudEvent,
    all_event_types,
    decode,
    encode,
    model_for,
    new_event,
    to_json,
)
from egov_contracts.examples import example_for
from egov_contracts.types import VN_TZ, in_vn
from egov_devkit.testing.times import foreign_times, foreign_times_in_text, times_in
from egov_workdays import VN_TZ as CALENDAR_TZ

TYPES = sorted(all_event_types())


def test_one_time_zone_constant():
    assert VN_TZ is CALENDAR_TZ
    assert datetime(2026, 7, 1, tzinfo=VN_TZ).isoformat() == "2026-07-01T00:00:00+07:00"


def _in_utc(value: object) -> object:
    """The same document with every datetime moved to UTC (as a careless producer would)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, dict):
        return {k: _in_utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_utc(v) for v in value]
    return value


@pytest.mark.parametrize("event_type", TYPES)
def test_every_time_of_every_event_type_is_written_in_vietnam_time(event_type):
    example = example_for(event_type)
    model = model_for(event_type)
    # built from UTC datetimes, on an envelope stamped in UTC
    data = model.model_validate(_in_utc(dict(example)))
    event = new_event(data, source="/vn/38/test", subject="s", time=datetime.now(UTC))
    doc = json.loads(to_json(event))
    assert foreign_times(doc) == []
    assert times_in(doc) >= 1  # the envelope's time at least
    # read back from the wire, times stay in Vietnam time
    again = decode(*encode(event))
    assert foreign_times(json.loads(to_json(again))) == []


def test_a_time_from_another_zone_is_carried_in_vietnam_time():
    utc = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    at = in_vn(utc)
    assert at == utc and at.isoformat() == "2026-11-23T09:00:00+07:00"
    paris = datetime(2026, 11, 23, 3, 0, tzinfo=timezone(timedelta(hours=1)))
    assert in_vn(paris).isoformat() == "2026-11-23T09:00:00+07:00"


def test_a_time_without_an_offset_is_read_as_vietnam_time():
    report = p.StatusReported.model_validate(
        {
            "dossier_code": "HS-1",
            "procedure_code": "1.000105",
            "unit_code": "38",
            "status": "received",
            "occurred_at": "2026-11-23T09:00:00",
        }
    )
    assert report.occurred_at == datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)
    assert report.model_dump(mode="json")["occurred_at"] == "2026-11-23T09:00:00+07:00"
    raw = {
        "specversion": "1.0",
        "id": "1",
        "source": "/x",
        "type": p.StatusReported.event_type,
        "subject": "HS-1",
        "time": "2026-11-23T09:00:00Z",
        "data": {},
    }
    assert CloudEvent.model_validate(raw).time.isoformat() == "2026-11-23T16:00:00+07:00"


def test_the_finder_finds_what_is_not_vietnam_time():
    doc = {
        "a": "2026-11-23T09:00:00+07:00",
        "b": ["2026-11-23T02:00:00Z", {"c": "2026-11-23T02:00:00.5+00:00"}],
        "d": "2026-11-23T09:00:00",
        "e": "2026-11-23",
        "f": "hạn 2026-11-23 09:00:00+07:00 và 2026-11-23 02:00:00+00:00",
    }
    assert [w for w, _ in foreign_times(doc)] == ["$.b[0]", "$.b[1].c", "$.d", "$.f"]
    assert times_in(doc) == 6
    assert foreign_times_in_text("Date: 2026-11-23T02:00:00Z") == ["2026-11-23T02:00:00Z"]
