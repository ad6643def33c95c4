"""What the notifier's deciding and sending need from storage, in domain terms (cosmicpython's
repositories).

The PostgreSQL adapters (``egov_notifier.adapters``) implement these; the use-case tests use
in-memory fakes of them (``tests/conftest.py``), and one test body per repository runs against
both (``tests/test_notifier_repositories.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from egov_units import Hierarchy

from egov_notifier.domain.delivery import Delivery
from egov_notifier.domain.notification import Notification
from egov_notifier.domain.retry import EndpointHealth
from egov_notifier.domain.rules import Person, Rule
from egov_notifier.domain.subscriptions import Endpoint, Secret, Subscription
from egov_notifier.domain.templates import Template


class Deliveries(Protocol):
    """The notifications and their attempts."""

    async def add(self, n: Notification) -> bool:
        """Keep a new notification (False: the event, rule, channel and recipient already have
        one, which stays as it is)."""
        ...

    async def get(self, nid: uuid.UUID) -> Notification | None: ...

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        """Lease the due notifications (pending or retrying and due, or sending whose lease ran
        out), the earliest due first; each is ``sending`` until ``lease_until``."""
        ...

    async def queue_ages(self, now: datetime) -> dict[str, float]:
        """Seconds the oldest due notification has waited, per channel (e-mail, SMS, webhook;
        0 when none waits)."""
        ...

    async def sent_since(
        self, keys: Sequence[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[datetime]]:
        """When each (channel, recipient) was delivered to since ``since`` (digest items not
        counted), in order."""
        ...

    async def defer(self, nid: uuid.UUID, until: datetime) -> None:
        """Put a claimed notification back, due at ``until`` (no attempt was made)."""
        ...

    async def digest_items_due(self, now: datetime) -> list[Notification]:
        """The notifications waiting for a digest whose time has come, oldest first."""
        ...

    async def mark_digested(self, ids: Sequence[uuid.UUID], digest_id: uuid.UUID) -> None: ...

    async def finish_digested(
        self, digest_id: uuid.UUID, status: str, now: datetime, error: str | None
    ) -> list[Notification]:
        """The items a digest carried end as it did (delivered at ``now``, or with its error)."""
        ...

    async def delivery(self, nid: uuid.UUID) -> Delivery:
        """The delivery of a kept notification, with its attempts so far."""
        ...

    async def save_delivery(self, d: Delivery) -> None:
        """Keep a delivery's new attempts and its state (the lease ends)."""
        ...

    async def requeue(self, ids: Sequence[uuid.UUID] | None, failed_since: datetime | None) -> int:
        """Pending again and due (never in-app): ``ids``, or every failed one created since
        ``failed_since``; how many."""
        ...


class Directory(Protocol):
    """Who and what the rules name: rules, templates, people to notify, units (the units are
    the published hierarchy's, read only here)."""

    async def rules(self) -> list[Rule]:
        """Every rule, by id."""
        ...

    async def save_rule(self, rule: Rule) -> None:
        """Keep a new rule, or the rule of that id as changed."""
        ...

    async def template(self, tid: str) -> Template | None: ...

    async def save_template(self, t: Template) -> None:
        """Keep a new template, or the template of that id as changed."""
        ...

    async def people(self, units: Sequence[str]) -> list[Person]: ...

    async def person(self, pid: str) -> Person | None: ...

    async def save_person(self, p: Person) -> None:
        """Keep a new person to notify, or the person of that id as changed (a unit too)."""
        ...

    async def unit_names(self, codes: Sequence[str]) -> dict[str, str]: ...

    async def hierarchy(self) -> Hierarchy: ...


class Endpoints(Protocol):
    """Webhook subscriptions as the deciding and sending see them."""

    async def matching(self, event_type: str) -> list[Endpoint]:
        """Enabled subscriptions of this type (exactly, or by a prefix ending in ``*``)."""
        ...

    async def get(self, sid: str, *, lock: bool = False) -> Endpoint | None: ...

    async def secrets_in_force(self, sid: str, now: datetime) -> list[str]: ...

    async def set_health(self, sid: str, health: EndpointHealth, *, actor: str) -> None:
        """The endpoint's failure streak; a change to disabled is audited as ``actor``'s."""
        ...


class Inbox(Protocol):
    async def add(
        self, n: Notification, *, unit_code: str, role: str | None, recipient: str
    ) -> None:
        """An in-app item of the notification for a person (``recipient``) or a role at a
        unit."""
        ...


class Subscriptions(Protocol):
    """Webhook subscriptions as their owners manage them, with their secrets and audit."""

    async def get(self, sid: str, *, lock: bool = False) -> Subscription | None: ...

    async def add(self, sub: Subscription, secret: str) -> Subscription:
        """Keep a new subscription with its first signing secret; returns it as kept."""
        ...

    async def save(self, sub: Subscription) -> Subscription:
        """Keep the subscription's changed fields; returns it as kept."""
        ...

    async def delete(self, sid: str) -> None: ...

    async def secrets(self, sid: str) -> list[Secret]: ...

    async def rotate(self, sid: str, new: str, retire_at: datetime) -> None:
        """Add ``new``; every secret still signing stops at ``retire_at`` (or sooner, if an
        earlier rotation said so)."""
        ...

    async def retire_previous(self, sid: str, at: datetime) -> int:
        """Every secret but the newest stops signing at ``at`` (or sooner); how many did."""
        ...

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
        """Record one change: who, what (the audited fields that differ, and ``extra``)."""
        ...
