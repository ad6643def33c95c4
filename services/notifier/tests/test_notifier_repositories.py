"""One test body per repository of the notifier, run against its in-memory fake (fast) and its
PostgreSQL adapter (integration), as the ``eventsourcing`` library tests its recorders: the
fakes the use-case tests rely on behave as the adapters do."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from egov_devkit.testing.fixtures import service_database_of
from egov_notifier.adapters.inbox import PgInbox
from egov_notifier.adapters.store import PgDeliveries, PgDirectory
from egov_notifier.adapters.subscriptions import PgEndpoints, PgSubscriptions
from egov_notifier.adapters.subscriptions import insert as insert_subscription
from egov_notifier.domain.delivery import Outcome, Result, RetryPolicy, Status
from egov_notifier.domain.notification import DIGEST, DIGESTED, Notification
from egov_notifier.domain.retry import EndpointHealth
from egov_notifier.domain.rules import Audience, Channel, Person, Priority, Rule
from egov_notifier.domain.subscriptions import Endpoint, Subscription
from egov_notifier.domain.templates import Template
from egov_notifier.main import SPEC
from egov_workdays import VN_TZ

# the PostgreSQL side: a database migrated with the service's migrations, `conn` a rolled-back
# transaction in it (egov_devkit.testing.fixtures)
service_database = service_database_of(SPEC)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)
LONG_AGO, FAR_AHEAD = datetime(2020, 1, 1, tzinfo=VN_TZ), datetime(2100, 1, 1, tzinfo=VN_TZ)


def note(
    recipient: str = "a@x.vn", channel: str = "email", at: datetime = NOW, **kw: Any
) -> Notification:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "rule_id": "dossier-overdue",
        "event_id": f"ev-{uuid.uuid4().hex[:8]}",
        "event_type": "vn.egov.procedures.dossier.overdue.v1",
        "channel": channel,
        "recipient": recipient,
        "recipient_label": "a…",
        "unit_code": "38",
        "subject": "Quá hạn",
        "body": "Hồ sơ quá hạn",
        "next_attempt_at": at,
        **kw,
    }
    return Notification(**values)


class DeliveriesContract:
    """The test body; a subclass provides ``repo``."""

    async def test_a_notification_is_kept_once_per_event_rule_channel_and_recipient(self, repo):
        n = note()
        assert await repo.add(n)
        assert not await repo.add(replace(n, id=uuid.uuid4(), subject="again"))
        got = await repo.get(n.id)
        assert got is not None and got.created_at is not None
        assert replace(got, created_at=None) == n
        assert await repo.get(uuid.uuid4()) is None
        hook = note(channel="webhook", recipient="sub_1", payload=b'{"id": "x"}')
        await repo.add(hook)
        assert (await repo.get(hook.id)).payload == b'{"id": "x"}'

    async def test_due_notifications_are_leased_in_order_and_again_after_the_lease(self, repo):
        later, first, future = (
            note(at=NOW),
            note(at=NOW - timedelta(minutes=5)),
            note(at=NOW + timedelta(minutes=1)),
        )
        for n in (later, first, future):
            await repo.add(n)
        await repo.add(note(status=DIGEST, at=NOW - timedelta(hours=1)))
        lease = NOW + timedelta(seconds=60)
        claimed = await repo.claim_due(NOW, lease, 10)
        assert [n.id for n in claimed] == [first.id, later.id]
        assert {n.status for n in claimed} == {"sending"}
        assert await repo.claim_due(NOW + timedelta(seconds=30), lease, 10) == []
        again = await repo.claim_due(NOW + timedelta(seconds=61), lease + timedelta(hours=1), 1)
        assert [n.id for n in again] == [first.id]  # the lease ran out: the earliest first
        assert (await repo.queue_ages(NOW))["email"] == 0.0  # nothing waits: all leased
        await repo.defer(later.id, NOW + timedelta(minutes=10))
        deferred = await repo.get(later.id)
        assert (deferred.status, deferred.next_attempt_at) == (
            "pending",
            NOW + timedelta(minutes=10),
        )
        ages = await repo.queue_ages(NOW + timedelta(minutes=12))  # the oldest: ``future``
        assert ages["email"] == pytest.approx(11 * 60) and ages["sms"] == ages["webhook"] == 0.0

    async def test_a_delivery_is_loaded_and_saved_with_its_attempts(self, repo):
        n = note()
        await repo.add(n)
        [claimed] = await repo.claim_due(NOW, NOW + timedelta(minutes=1), 5)
        before = await repo.delivery(claimed.id)
        assert (before.status, before.attempts) == (Status.SENDING, ())
        policy = RetryPolicy((0, 60), jitter=0)
        after = before.record(
            Result(Outcome.RETRY, 503, "busy"), at=NOW, duration_ms=12, policy=policy
        )
        await repo.save_delivery(after)
        loaded = await repo.delivery(n.id)
        assert loaded == replace(after, lease_until=None)
        kept = await repo.get(n.id)
        assert (kept.status, kept.attempts, kept.last_error) == ("retrying", 1, "busy")
        second = replace(loaded, status=Status.SENDING).record(
            Result(Outcome.DELIVERED, 200),
            at=NOW + timedelta(minutes=1),
            duration_ms=5,
            policy=policy,
        )
        await repo.save_delivery(second)
        done = await repo.delivery(n.id)
        assert [a.n for a in done.attempts] == [1, 2] and done.status == Status.DELIVERED
        assert done.delivered_at == NOW + timedelta(minutes=1)

    async def test_what_was_delivered_counts_for_the_throttle_but_not_digest_items(self, repo):
        a, b = note(recipient="a@x.vn"), note(recipient="a@x.vn")
        other = note(recipient="b@x.vn")
        for n in (a, b, other):
            await repo.add(n)
        await repo.claim_due(NOW, NOW + timedelta(minutes=1), 10)
        for n, at in ((a, NOW + timedelta(minutes=2)), (b, NOW + timedelta(minutes=1))):
            d = await repo.delivery(n.id)
            await repo.save_delivery(
                d.record(Result(Outcome.DELIVERED), at=at, duration_ms=1, policy=RetryPolicy())
            )
        sent = await repo.sent_since([("email", "a@x.vn"), ("sms", "a@x.vn")], NOW)
        assert sent == {
            ("email", "a@x.vn"): [NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)]
        }
        assert await repo.sent_since([("email", "a@x.vn")], NOW + timedelta(minutes=1)) == {
            ("email", "a@x.vn"): [NOW + timedelta(minutes=2)]
        }

    async def test_digest_items_are_gathered_then_end_as_their_digest(self, repo):
        slot = NOW + timedelta(hours=7)
        items = [note(status=DIGEST, at=slot) for _ in range(2)]
        for n in items:
            await repo.add(n)
        assert await repo.digest_items_due(slot - timedelta(seconds=1)) == []
        assert {n.id for n in await repo.digest_items_due(slot)} == {n.id for n in items}
        digest = note(rule_id="digest", at=slot)
        await repo.add(digest)
        await repo.mark_digested([n.id for n in items], digest.id)
        assert await repo.digest_items_due(slot) == []
        assert {(await repo.get(n.id)).status for n in items} == {DIGESTED}
        done = await repo.finish_digested(digest.id, "delivered", slot, None)
        assert sorted(n.id for n in done) == sorted(n.id for n in items)
        assert {(n.status, n.attempts, n.delivered_at, n.digest_id) for n in done} == {
            ("delivered", 1, slot, digest.id)
        }
        assert await repo.sent_since([("email", "a@x.vn")], NOW) == {}  # carried by the digest
        failed = await repo.finish_digested(digest.id, "failed", slot, "smtp down")
        assert {(n.status, n.delivered_at, n.last_error) for n in failed} == {
            ("failed", None, "smtp down")
        }

    async def test_replay_requeues_failed_deliveries_but_never_in_app_items(self, repo):
        failed = note(status="failed")
        gone = note(status="endpoint-disabled", channel="webhook", recipient="sub_1")
        delivered = note(status="delivered")
        in_app = note(status="failed", channel="in-app", recipient="38-operator")
        for n in (failed, gone, delivered, in_app):
            await repo.add(n)
        assert await repo.requeue(None, FAR_AHEAD) == 0  # none created since then
        assert await repo.requeue([in_app.id], None) == 0
        assert await repo.requeue(None, LONG_AGO) == 2
        assert {(await repo.get(n.id)).status for n in (failed, gone)} == {"pending"}
        assert await repo.requeue([delivered.id], None) == 1  # one named: whatever its status
        assert (await repo.get(delivered.id)).status == "pending"


class TestFakeDeliveries(DeliveriesContract):
    @pytest.fixture
    def repo(self, fake_work):
        return fake_work.deliveries


@pytest.mark.integration
class TestPgDeliveries(DeliveriesContract):
    @pytest.fixture
    def repo(self, conn):
        return PgDeliveries(conn)


Register = Callable[[str, str | None, list[str]], Awaitable[None]]


class EndpointsContract:
    """A subclass provides ``endpoints`` and ``register`` (id, unit, event types; its secret
    ``whsec_<id>``)."""

    async def test_subscriptions_match_by_type_or_prefix_while_enabled(self, endpoints, register):
        await register("sub_a", "38", ["vn.egov.procedures.dossier.overdue.v1"])
        await register("sub_b", None, ["vn.egov.procedures.*"])
        await register("sub_c", "38.SNV", ["vn.egov.indicators.*"])
        found = await endpoints.matching("vn.egov.procedures.dossier.overdue.v1")
        assert sorted(e.id for e in found) == ["sub_a", "sub_b"]
        [b] = [e for e in found if e.id == "sub_b"]
        assert b == Endpoint("sub_b", "sub_b", "https://sub_b.example/hook", None)
        assert [e.id for e in await endpoints.matching("vn.egov.procedures.rate")] == ["sub_b"]
        assert await endpoints.matching("vn.egov.nominations.x") == []
        assert await endpoints.secrets_in_force("sub_a", FAR_AHEAD) == ["whsec_sub_a"]

    async def test_a_failure_streak_is_kept_and_a_disabled_endpoint_matches_no_more(
        self, endpoints, register
    ):
        await register("sub_d", "38", ["vn.egov.procedures.*"])
        streak = EndpointHealth(True, NOW, None)
        await endpoints.set_health("sub_d", streak, actor="notifier")
        got = await endpoints.get("sub_d", lock=True)
        assert (got.enabled, got.failing_since) == (True, NOW)
        await endpoints.set_health(
            "sub_d", EndpointHealth(False, NOW, "410 Gone"), actor="notifier"
        )
        got = await endpoints.get("sub_d")
        assert (got.enabled, got.disabled_reason) == (False, "410 Gone")
        assert await endpoints.matching("vn.egov.procedures.x") == []
        assert await endpoints.get("sub_none") is None
        await endpoints.set_health("sub_none", streak, actor="notifier")  # gone: nothing


class TestFakeEndpoints(EndpointsContract):
    @pytest.fixture
    def endpoints(self, fake_work):
        return fake_work.endpoints

    @pytest.fixture
    def register(self, endpoints) -> Register:
        async def register(sid: str, unit: str | None, types: list[str]) -> None:
            endpoint = Endpoint(sid, sid, f"https://{sid}.example/hook", unit)
            endpoints.register(endpoint, types, f"whsec_{sid}", NOW)

        return register


@pytest.mark.integration
class TestPgEndpoints(EndpointsContract):
    @pytest.fixture
    def endpoints(self, conn):
        return PgEndpoints(conn)

    @pytest.fixture
    def register(self, conn) -> Register:
        async def register(sid: str, unit: str | None, types: list[str]) -> None:
            sub = {
                "id": sid,
                "system": sid,
                "url": f"https://{sid}.example/hook",
                "event_types": types,
                "unit_code": unit,
                "owner": "mot-cua",
            }
            await insert_subscription(conn, sub, f"whsec_{sid}")

        return register


class DirectoryContract:
    """The configuration's side of the directory: templates, rules, people to notify."""

    async def test_a_template_and_a_rule_using_it_are_kept_then_changed(self, directory):
        template = Template("t-kho", "Tiêu đề", "Nội dung", None)
        await directory.save_template(template)
        assert await directory.template("t-kho") == template
        changed = replace(template, subject="Tiêu đề mới", html="<p>Nội dung</p>")
        await directory.save_template(changed)
        assert await directory.template("t-kho") == changed

        rule = Rule(
            "r-kho",
            "vn.egov.procedures.dossier.overdue.v1",
            (Channel.EMAIL, Channel.IN_APP),
            ("head",),
            ("operator",),
            "t-kho",
            Priority.LOW,
            True,
            Audience.UNIT,
            "unit_code",
            "applicant_ref",
            True,
            ("data.dossier_code",),
        )
        await directory.save_rule(rule)
        assert [r for r in await directory.rules() if r.id == "r-kho"] == [rule]
        off = replace(rule, enabled=False, channels=(Channel.SMS,), requires=())
        await directory.save_rule(off)
        assert [r for r in await directory.rules() if r.id == "r-kho"] == [off]
        ids = [r.id for r in await directory.rules()]
        assert ids == sorted(ids)

    async def test_a_person_to_notify_is_kept_and_moved_to_another_unit(self, directory):
        assert await directory.person("nv-kho") is None
        person = Person("nv-kho", "38.SNV", "officer", "Nguyễn Văn A", "a@snv.vn", None)
        await directory.save_person(person)
        assert await directory.person("nv-kho") == person
        moved = replace(person, unit_code="38.SNV.NCC", phone="0912000111")
        await directory.save_person(moved)
        assert await directory.person("nv-kho") == moved
        assert moved in await directory.people(["38.SNV.NCC"])
        assert "nv-kho" not in [p.id for p in await directory.people(["38.SNV"])]


class TestFakeDirectory(DirectoryContract):
    @pytest.fixture
    def directory(self, fake_work):
        return fake_work.directory


@pytest.mark.integration
class TestPgDirectory(DirectoryContract):
    @pytest.fixture
    def directory(self, conn):
        return PgDirectory(conn)


class InboxContract:
    async def test_an_in_app_item_carries_the_notifications_text_once(self, deliveries, inbox):
        n = note(channel="in-app", recipient="38-operator", status="delivered")
        await deliveries.add(n)
        await inbox.add(n, unit_code="38", role="operator", recipient="38-operator")
        assert await inbox.items_of(n.id) == [
            {
                "unit_code": "38",
                "role": "operator",
                "recipient": "38-operator",
                "title": n.subject,
                "body": n.body,
            }
        ]
        with pytest.raises(Exception, match=r"(?i)unique|already"):
            await inbox.add(n, unit_code="38", role="operator", recipient="38-operator")


class TestFakeInbox(InboxContract):
    @pytest.fixture
    def deliveries(self, fake_work):
        return fake_work.deliveries

    @pytest.fixture
    def inbox(self, fake_work):
        return fake_work.inbox


@pytest.mark.integration
class TestPgInbox(InboxContract):
    @pytest.fixture
    def deliveries(self, conn):
        return PgDeliveries(conn)

    @pytest.fixture
    def inbox(self, conn):
        return PgInbox(conn)


class SubscriptionsContract:
    async def test_a_subscription_is_kept_changed_audited_and_removed(self, subscriptions):
        new = Subscription(
            "sub_k", "he-thong-a", "https://a.example/hook", ("t.a", "t.*"), "38", "a"
        )
        kept = await subscriptions.add(new, "whsec_1")
        assert (
            kept.created_at is not None and replace(kept, created_at=None, updated_at=None) == new
        )
        assert await subscriptions.get("sub_k", lock=True) == kept
        assert await subscriptions.get("sub_none") is None
        changed = replace(kept, url="https://b.example/hook", enabled=False, disabled_reason="x")
        saved = await subscriptions.save(changed)
        assert replace(saved, updated_at=None) == replace(changed, updated_at=None)
        await subscriptions.audit(
            before=None, after=kept, actor="a", roles=["integration"], action="created"
        )
        await subscriptions.audit(
            before=kept,
            after=saved,
            actor="a",
            roles=["integration"],
            action="updated",
            extra={"n": 1},
        )
        [(created, _, first), (updated, actor, then)] = await subscriptions.audit_entries("sub_k")
        assert (created, updated, actor) == ("created", "updated", "a")
        assert first["event_types"] == {"from": None, "to": ["t.a", "t.*"]}
        assert set(then) == {"url", "enabled", "disabled_reason", "n"}
        assert then["url"] == {"from": "https://a.example/hook", "to": "https://b.example/hook"}
        await subscriptions.delete("sub_k")
        assert await subscriptions.get("sub_k") is None
        assert await subscriptions.secrets("sub_k") == []
        assert len(await subscriptions.audit_entries("sub_k")) == 2  # the history stays

    async def test_a_rotation_keeps_the_previous_secret_until_it_is_retired(self, subscriptions):
        await subscriptions.add(
            Subscription("sub_r", "s", "https://r.example", ("t.a",), "38", "a"), "whsec_1"
        )
        [first] = await subscriptions.secrets("sub_r")
        assert (first.secret, first.expires_at) == ("whsec_1", None)
        retire_at = NOW + timedelta(days=1)
        await subscriptions.rotate("sub_r", "whsec_2", retire_at)
        await subscriptions.rotate("sub_r", "whsec_3", FAR_AHEAD)  # never later than said
        by_secret = {s.secret: s.expires_at for s in await subscriptions.secrets("sub_r")}
        assert by_secret["whsec_1"] == retire_at
        assert by_secret["whsec_3"] is None and by_secret["whsec_2"] == FAR_AHEAD
        assert await subscriptions.retire_previous("sub_r", NOW) in (1, 2)  # 1 and 2 (ties)
        assert await subscriptions.retire_previous("sub_r", NOW) == 0


class TestFakeSubscriptions(SubscriptionsContract):
    @pytest.fixture
    def subscriptions(self, fake_work):
        return fake_work.subscriptions


@pytest.mark.integration
class TestPgSubscriptions(SubscriptionsContract):
    @pytest.fixture
    def subscriptions(self, conn):
        return PgSubscriptions(conn)
