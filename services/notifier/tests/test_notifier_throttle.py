"""Per-recipient throttling and the daily digest of low-priority notifications."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from egov_notifier.domain.throttle import (
    DigestItem,
    DigestSchedule,
    Throttle,
    due_digests,
    group_digests,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 15:00 in Vietnam
MIN = timedelta(minutes=1)


def test_allows_up_to_the_limit_in_a_sliding_window():
    t = Throttle(limit=3, window=timedelta(minutes=10))
    sent = [NOW - 9 * MIN, NOW - 5 * MIN]
    assert t.allows(sent, NOW)
    sent.append(NOW - MIN)
    assert not t.allows(sent, NOW)
    assert t.next_slot(sent, NOW) == NOW + MIN  # when the send of NOW-9min leaves the window
    assert t.allows(sent, NOW + MIN)
    # old sends and sends "in the future" of the clock do not count
    assert t.allows([NOW - 10 * MIN, NOW - 11 * MIN, NOW + MIN], NOW)


def test_schedule_spreads_a_burst():
    t = Throttle(limit=2, window=timedelta(minutes=10))
    plan = t.schedule([NOW - 2 * MIN], queued=4, now=NOW)
    assert plan == [NOW, NOW + 8 * MIN, NOW + 10 * MIN, NOW + 18 * MIN]
    for i, at in enumerate(plan):  # no window ever holds more than the limit
        history = [NOW - 2 * MIN, *plan[:i]]
        assert t.allows(history, at)


def test_throttle_is_checked():
    with pytest.raises(ValueError):
        Throttle(limit=0)
    with pytest.raises(ValueError):
        Throttle(window=timedelta(0))


def test_digest_slot_is_the_next_send_time_in_vietnam():
    s = DigestSchedule(at=time(16, 30))
    slot = s.slot(NOW)  # 15:00 ICT → 16:30 ICT the same day
    assert slot.astimezone(UTC) == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    late = s.slot(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # 17:00 ICT → next day
    assert late.astimezone(UTC) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    exact = s.slot(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))  # being sent: the next one
    assert exact.astimezone(UTC) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _item(nid: str, who: str, at: datetime, channel: str = "email") -> DigestItem:
    return DigestItem(nid, who, channel, at, f"Tỷ lệ đúng hạn {nid}")


def test_digest_groups_by_recipient_channel_and_day():
    s = DigestSchedule()
    items = [
        _item("3", "a@x.vn", NOW + 30 * MIN),
        _item("1", "a@x.vn", NOW),
        _item("2", "b@x.vn", NOW),
        _item("4", "a@x.vn", NOW + timedelta(hours=3)),  # after today's send: tomorrow
        _item("5", "a@x.vn", NOW, channel="in-app"),
    ]
    digests = group_digests(items, s)
    assert [(d.recipient, d.channel, [i.notification_id for i in d.items]) for d in digests] == [
        ("a@x.vn", "email", ["1", "3"]),
        ("a@x.vn", "in-app", ["5"]),
        ("b@x.vn", "email", ["2"]),
        ("a@x.vn", "email", ["4"]),
    ]
    assert digests[0].id == "digest:email:a@x.vn:2026-11-23"
    subject, body = digests[0].text()
    assert subject == "Tổng hợp thông báo ngày 23/11/2026 (2)"
    assert "- 15:00 23/11: Tỷ lệ đúng hạn 1" in body and "15:30 23/11" in body


def test_only_digests_whose_time_has_come_are_due():
    s = DigestSchedule()
    items = [_item("1", "a@x.vn", NOW), _item("2", "a@x.vn", NOW + timedelta(hours=3))]
    assert due_digests(items, s, NOW) == []
    today = due_digests(items, s, NOW + timedelta(hours=2))
    assert [[i.notification_id for i in d.items] for d in today] == [["1"]]
    assert len(due_digests(items, s, NOW + timedelta(days=2))) == 2
