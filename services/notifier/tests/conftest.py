"""The notifier on a real broker, PostgreSQL, SMTP server and SMS gateway, one per test module
(a module may set ``NOTIFIER_SETTINGS`` to override settings); and in-memory fakes of its
repositories (``domain/repositories.py``) with a :class:`~egov_notifier.usecases.Work` of them,
for use-case tests with no broker or database (``test_notifier_repositories.py`` runs one test
body against each fake and its PostgreSQL adapter)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts.reference import load_units
from egov_devkit.testing.fakes import RecordingTx
from egov_devkit.testing.receivers import http_receiver, smtp_server
from egov_devkit.testing.service import running_alone
from egov_notifier.demo.data import people
from egov_notifier.domain.delivery import Attempt, Delivery, Status
from egov_notifier.domain.notification import DIGEST, DIGESTED, Notification
from egov_notifier.domain.retry import EndpointHealth
from egov_notifier.domain.rules import DEFAULT_RULES, Person, Rule
from egov_notifier.domain.subscriptions import Endpoint, Secret, Subscription, changes, in_force
from egov_notifier.domain.templates import DEFAULT_TEMPLATES, Template
from egov_notifier.main import SPEC, seed
from egov_notifier.usecases import Begin, Work
from egov_units import AdminUnit, Hierarchy


@pytest.fixture(scope="module")
async def smtp():
    async with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
async def sms_gateway():
    """A local SMS gateway: records every message it is asked to send."""
    async with http_receiver() as gateway:
        yield gateway


@pytest.fixture(scope="module")
async def notifier(request, kafka_bootstrap, postgres_admin_dsn, smtp, sms_gateway):
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        SPEC,
        smtp_port=smtp[0],
        sms_gateway_url=sms_gateway.url,
        sms_gateway_key="test-key",
        retry_schedule_s=[0, 0.2, 0.2, 0.2, 0.2],
        dispatch_interval_s=0.1,
        **getattr(request.module, "NOTIFIER_SETTINGS", {}),
    ) as svc:
        await seed(svc.runtime)
        yield svc


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    prod = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await prod.start()
    yield prod
    await prod.stop()


# -- in-memory fakes ---------------------------------------------------------------------


@dataclass
class FakeDeliveries:
    clock: datetime  # what the database's now() would say (one instant per transaction)
    rows: dict[uuid.UUID, Notification] = field(default_factory=dict)
    leases: dict[uuid.UUID, datetime | None] = field(default_factory=dict)
    attempt_log: dict[uuid.UUID, list[Attempt]] = field(default_factory=dict)

    async def add(self, n: Notification) -> bool:
        key = (n.event_id, n.rule_id, n.channel, n.recipient)
        if any((r.event_id, r.rule_id, r.channel, r.recipient) == key for r in self.rows.values()):
            return False
        self.rows[n.id] = replace(n, created_at=self.clock, digest_id=None)
        return True

    async def get(self, nid: uuid.UUID) -> Notification | None:
        return self.rows.get(nid)

    def _set(self, nid: uuid.UUID, **changes: Any) -> Notification:
        self.rows[nid] = replace(self.rows[nid], **changes)
        return self.rows[nid]

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        def due(n: Notification) -> bool:
            if n.status in ("pending", "retrying"):
                return n.next_attempt_at is not None and n.next_attempt_at <= now
            lease = self.leases.get(n.id)
            return n.status == "sending" and lease is not None and lease < now

        found = sorted(
            (n for n in self.rows.values() if due(n)), key=lambda n: (n.next_attempt_at, str(n.id))
        )[:limit]
        for n in found:
            self.leases[n.id] = lease_until
        return [self._set(n.id, status="sending") for n in found]

    async def queue_ages(self, now: datetime) -> dict[str, float]:
        ages = dict.fromkeys(("email", "sms", "webhook"), 0.0)
        for n in self.rows.values():
            due = n.next_attempt_at
            if n.status in ("pending", "retrying") and due is not None and due <= now:
                ages[n.channel] = max(ages.get(n.channel, 0.0), (now - due).total_seconds())
        return ages

    async def sent_since(
        self, keys: Sequence[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[datetime]]:
        out: dict[tuple[str, str], list[datetime]] = {}
        for n in sorted(self.rows.values(), key=lambda n: n.delivered_at or since):
            key = (n.channel, n.recipient)
            if key in keys and n.delivered_at and n.delivered_at > since and n.digest_id is None:
                out.setdefault(key, []).append(n.delivered_at)
        return out

    async def defer(self, nid: uuid.UUID, until: datetime) -> None:
        n = self.rows[nid]
        self.leases[nid] = None
        self._set(nid, status="pending" if n.attempts == 0 else "retrying", next_attempt_at=until)

    async def digest_items_due(self, now: datetime) -> list[Notification]:
        return sorted(
            (
                n
                for n in self.rows.values()
                if n.status == DIGEST and n.next_attempt_at and n.next_attempt_at <= now
            ),
            key=lambda n: n.created_at or now,
        )

    async def mark_digested(self, ids: Sequence[uuid.UUID], digest_id: uuid.UUID) -> None:
        for nid in ids:
            self._set(nid, status=DIGESTED, digest_id=digest_id, next_attempt_at=None)

    async def finish_digested(
        self, digest_id: uuid.UUID, status: str, now: datetime, error: str | None
    ) -> list[Notification]:
        ok = status == "delivered"
        carried = [n for n in self.rows.values() if n.digest_id == digest_id]
        return sorted(
            (
                self._set(
                    n.id,
                    status=status,
                    attempts=1,
                    delivered_at=now if ok else None,
                    last_error=None if ok else error,
                )
                for n in carried
            ),
            key=lambda n: (n.created_at, str(n.id)),
        )

    async def delivery(self, nid: uuid.UUID) -> Delivery:
        n = self.rows[nid]
        return Delivery(
            str(nid),
            n.channel,
            n.recipient,
            Status(n.status),
            attempts=tuple(self.attempt_log.get(nid, ())),
            next_attempt_at=n.next_attempt_at,
            lease_until=self.leases.get(nid),
            last_error=n.last_error,
            delivered_at=n.delivered_at,
        )

    async def save_delivery(self, d: Delivery) -> None:
        nid = uuid.UUID(d.id)
        log = self.attempt_log.setdefault(nid, [])
        log.extend(a for a in d.attempts if a.n not in {k.n for k in log})
        self.leases[nid] = None
        self._set(
            nid,
            status=str(d.status),
            attempts=len(d.attempts),
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
        )

    async def requeue(self, ids: Sequence[uuid.UUID] | None, failed_since: datetime | None) -> int:
        again = [
            n
            for n in self.rows.values()
            if n.channel != "in-app"
            and (
                (ids is not None and n.id in ids)
                or (
                    failed_since is not None
                    and n.status in ("failed", "endpoint-disabled")
                    and n.created_at is not None
                    and n.created_at >= failed_since
                )
            )
        ]
        for n in again:
            self.leases[n.id] = None
            self._set(n.id, status="pending", next_attempt_at=self.clock)
        return len(again)


@dataclass
class FakeDirectory:
    """The notifier's demo seed in memory: default rules and templates, demo recipients, the
    published unit hierarchy."""

    rule_list: list[Rule] = field(default_factory=lambda: list(DEFAULT_RULES))
    templates: dict[str, Template] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    persons: list[Person] = field(default_factory=people)
    units: Hierarchy = field(
        default_factory=lambda: Hierarchy(
            AdminUnit.from_record(u.model_dump()) for u in load_units()
        )
    )

    async def rules(self) -> list[Rule]:
        return sorted(self.rule_list, key=lambda r: r.id)

    async def save_rule(self, rule: Rule) -> None:
        self.rule_list = [r for r in self.rule_list if r.id != rule.id] + [rule]

    async def template(self, tid: str) -> Template | None:
        return self.templates.get(tid)

    async def save_template(self, t: Template) -> None:
        self.templates[t.id] = t

    async def people(self, units: Sequence[str]) -> list[Person]:
        return [p for p in self.persons if p.unit_code in units]

    async def person(self, pid: str) -> Person | None:
        return next((p for p in self.persons if p.id == pid), None)

    async def save_person(self, p: Person) -> None:
        self.persons = [q for q in self.persons if q.id != p.id] + [p]

    async def unit_names(self, codes: Sequence[str]) -> dict[str, str]:
        return {u.code: u.name for u in self.units if u.code in codes}

    async def hierarchy(self) -> Hierarchy:
        return self.units


@dataclass
class FakeSubscriptions:
    clock: datetime  # what the database's now() would say; each write is a moment later
    subs: dict[str, Subscription] = field(default_factory=dict)  # in the order registered
    secret_list: dict[str, list[Secret]] = field(default_factory=dict)
    audited: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    async def get(self, sid: str, *, lock: bool = False) -> Subscription | None:
        return self.subs.get(sid)

    async def add(self, sub: Subscription, secret: str) -> Subscription:
        if sub.id in self.subs:
            raise ValueError(f"subscription {sub.id} exists")  # the primary key
        at = self._now()
        kept = replace(sub, created_at=at, updated_at=at)
        self.subs[sub.id] = kept
        self.secret_list[sub.id] = [Secret(secret, at)]
        return kept

    def _now(self) -> datetime:
        """A later instant for each write (each is a transaction of its own in use)."""
        self.clock += timedelta(milliseconds=1)
        return self.clock

    async def save(self, sub: Subscription) -> Subscription:
        current = self.subs[sub.id]
        kept = replace(
            sub, owner=current.owner, created_at=current.created_at, updated_at=self._now()
        )
        self.subs[sub.id] = kept
        return kept

    async def delete(self, sid: str) -> None:
        self.subs.pop(sid, None)
        self.secret_list.pop(sid, None)

    async def secrets(self, sid: str) -> list[Secret]:
        return list(self.secret_list.get(sid, []))

    async def rotate(self, sid: str, new: str, retire_at: datetime) -> None:
        self.secret_list[sid] = [
            replace(s, expires_at=min(s.expires_at or retire_at, retire_at))
            for s in self.secret_list.get(sid, [])
        ] + [Secret(new, self._now())]

    async def retire_previous(self, sid: str, at: datetime) -> int:
        kept = self.secret_list.get(sid, [])
        if not kept:
            return 0
        newest = max(kept, key=lambda s: s.created_at)
        n = 0
        out = []
        for s in kept:
            if (
                s is not newest
                and s.secret != newest.secret
                and (s.expires_at is None or s.expires_at > at)
            ):
                s, n = replace(s, expires_at=at), n + 1
            out.append(s)
        self.secret_list[sid] = out
        return n

    async def audit(
        self,
        *,
        before: Subscription | None,
        after: Subscription | None,
        actor: str,
        roles: Sequence[str],
        action: str,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        current = after if after is not None else before
        assert current is not None

        def row(x):
            return {**asdict(x), "event_types": list(x.event_types)} if x else None

        entry = {**changes(row(before), row(after)), **(extra or {})}
        self.audited.append((current.id, action, actor, entry))

    async def audit_entries(self, sid: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [(a, actor, c) for s, a, actor, c in self.audited if s == sid]


@dataclass
class FakeEndpoints:
    """The subscriptions of ``store`` as the deciding and sending see them."""

    store: FakeSubscriptions

    def register(
        self, endpoint: Endpoint, event_types: Sequence[str], secret: str, at: datetime
    ) -> None:
        e = endpoint
        sub = Subscription(e.id, e.system, e.url, tuple(event_types), e.unit_code, "mot-cua")
        self.store.subs[e.id] = replace(
            sub, enabled=e.enabled, failing_since=e.failing_since, created_at=at, updated_at=at
        )
        self.store.secret_list[e.id] = [Secret(secret, at)]

    @staticmethod
    def _endpoint(s: Subscription) -> Endpoint:
        return Endpoint(
            s.id, s.system, s.url, s.unit_code, s.enabled, s.failing_since, s.disabled_reason
        )

    async def matching(self, event_type: str) -> list[Endpoint]:
        return [
            self._endpoint(s)
            for s in self.store.subs.values()
            if s.enabled
            and any(
                t == event_type or (t.endswith("*") and event_type.startswith(t[:-1]))
                for t in s.event_types
            )
        ]

    async def get(self, sid: str, *, lock: bool = False) -> Endpoint | None:
        found = self.store.subs.get(sid)
        return self._endpoint(found) if found else None

    async def secrets_in_force(self, sid: str, now: datetime) -> list[str]:
        return in_force(self.store.secret_list.get(sid, []), now)

    async def set_health(self, sid: str, health: EndpointHealth, *, actor: str) -> None:
        before = self.store.subs.get(sid)
        if before is None:
            return
        after = replace(
            before,
            enabled=health.enabled,
            failing_since=health.failing_since,
            disabled_reason=health.disabled_reason,
        )
        self.store.subs[sid] = after
        if before.enabled and not after.enabled:
            await self.store.audit(
                before=before, after=after, actor=actor, roles=(), action="disabled"
            )

    @property
    def audited(self) -> list[tuple[str, str, str]]:
        return [(sid, action, actor) for sid, action, actor, _ in self.store.audited]


@dataclass
class FakeInbox:
    items: list[dict[str, Any]] = field(default_factory=list)

    async def add(
        self, n: Notification, *, unit_code: str, role: str | None, recipient: str
    ) -> None:
        if any(i["notification_id"] == n.id for i in self.items):
            raise ValueError(f"notification {n.id} is in the inbox already")  # UNIQUE
        self.items.append(
            {
                "notification_id": n.id,
                "unit_code": unit_code,
                "role": role,
                "recipient": recipient,
                "title": n.subject,
                "body": n.body,
            }
        )

    async def items_of(self, nid: uuid.UUID) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in i.items() if k != "notification_id"}
            for i in self.items
            if i["notification_id"] == nid
        ]


FAKE_NOW = datetime.fromisoformat("2026-03-02T09:00:00+07:00")


@pytest.fixture
def fake_work() -> Work:
    """A Work of fakes; the transaction records what is published (``work.tx``)."""
    subscriptions = FakeSubscriptions(FAKE_NOW)
    return Work(
        RecordingTx(service="notifier", source="/vn/38/notifier"),
        FakeDeliveries(FAKE_NOW),
        FakeDirectory(),
        FakeEndpoints(subscriptions),
        FakeInbox(),
        subscriptions,
    )


@pytest.fixture
def fake_begin(fake_work: Work) -> Begin:
    """The dispatcher's transactions, all on the one Work of fakes."""

    @asynccontextmanager
    async def begin() -> AsyncIterator[Work]:
        yield fake_work

    return begin
