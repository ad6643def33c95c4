"""Unit scope of webhook subscriptions and secret rotation, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from egov_contracts.envelope import wire_data
from egov_contracts.examples import example_for
from egov_notifier.domain.subscriptions import (
    RotationInvalid,
    Secret,
    changes,
    event_units,
    in_force,
    reaches,
    retirement,
)


def _data(event_type: str) -> dict:
    return wire_data(example_for(event_type))


NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_every_public_event_names_its_units_where_the_contract_puts_them():
    dossier = _data("vn.egov.procedures.dossier.overdue.v1")
    assert event_units(dossier) == [dossier["unit_code"]]
    nomination = _data("vn.egov.nominations.nomination.submitted.v1")
    assert event_units(nomination) == [nomination["nominee"]["unit_code"]]
    award = _data("vn.egov.nominations.award.conferred.v1")
    assert set(event_units(award)) == {r["unit_code"] for r in award["recipients"]} | {
        award["deciding_unit_code"]
    }
    delivery = _data("vn.egov.notifications.notification.delivered.v1")
    assert event_units(delivery) == []


def test_a_subtree_scope_reaches_its_units_and_only_the_province_gets_unitless_events():
    snv_office = ["38.SNV.NCC", "38.SNV", "38"]
    commune = ["38.XA.SAMSON", "38"]
    assert reaches("38.SNV", False, [snv_office])
    assert not reaches("38.SNV", False, [commune])
    assert reaches("38.SNV", False, [commune, snv_office])  # an award naming both
    assert not reaches("38.SNV", False, [])  # names no unit
    assert reaches("38", True, []) and reaches(None, True, [commune])


def test_rotation_overlap_then_only_the_new_secret_signs():
    old = Secret("whsec_old", NOW - timedelta(days=30), NOW + timedelta(hours=24))
    new = Secret("whsec_new", NOW)
    assert in_force([old, new], NOW) == ["whsec_new", "whsec_old"]
    assert in_force([old, new], NOW + timedelta(hours=24)) == ["whsec_new"]
    day, month = timedelta(days=1), timedelta(days=30)
    assert retirement(NOW, None, day, month) == NOW + day
    assert retirement(NOW, NOW - timedelta(hours=1), day, month) == NOW  # at once
    with pytest.raises(RotationInvalid):
        retirement(NOW, NOW + timedelta(days=31), day, month)


def test_audit_records_the_fields_that_changed_never_secrets():
    before = {"id": "s", "url": "https://a.example/h", "event_types": ["x.*"], "secret": "whsec"}
    after = {**before, "url": "https://b.example/h"}
    assert changes(before, after) == {
        "url": {"from": "https://a.example/h", "to": "https://b.example/h"}
    }
    assert "secret" not in changes(None, after)


def test_only_types_served_on_the_topics_are_accepted():
    from egov_notifier.domain.subscriptions import unknown_types
    from egov_notifier.entrypoints.consumers import EVENT_TOPICS, FEED_TOPICS

    assert unknown_types(["vn.egov.procedures.dossier.*"], EVENT_TOPICS) == []
    assert unknown_types(["vn.egov.nominations.award.conferred.v1"], EVENT_TOPICS) == []
    # inbound status reports and delivery results are not sent by webhooks
    inbound = unknown_types(["vn.egov.procedures.dossier.status-reported.v1"], EVENT_TOPICS)
    assert inbound and "egov.procedures.status-reports" in inbound[0]
    assert unknown_types(["vn.egov.notifications.*"], EVENT_TOPICS)
    assert unknown_types(["vn.egov.notifications.*"], FEED_TOPICS) == []
    assert unknown_types(["vn.egov.nope.v1"], FEED_TOPICS) == ["unknown type vn.egov.nope.v1"]
