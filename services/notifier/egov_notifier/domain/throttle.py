"""Per-recipient throttling and the daily digest of low-priority notifications (pure: the
caller passes the send history and the clock)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from egov_notifier.domain.templates import VN


@dataclass(frozen=True)
class Throttle:
    """At most ``limit`` messages to one recipient in any window of length ``window``."""

    limit: int = 10
    window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= timedelta(0):
            raise ValueError("a throttle needs a positive limit and window")

    def _recent(self, sent: Iterable[datetime], now: datetime) -> list[datetime]:
        return sorted(t for t in sent if now - self.window < t <= now)

    def allows(self, sent: Iterable[datetime], now: datetime) -> bool:
        """Whether one more message may go to a recipient who was sent ``sent``."""
        return len(self._recent(sent, now)) < self.limit

    def next_slot(self, sent: Iterable[datetime], now: datetime) -> datetime:
        """The earliest time one more message may go: ``now``, or when the oldest message
        that keeps the window full leaves it."""
        recent = self._recent(sent, now)
        if len(recent) < self.limit:
            return now
        return recent[len(recent) - self.limit] + self.window

    def schedule(self, sent: Sequence[datetime], queued: int, now: datetime) -> list[datetime]:
        """Send times for ``queued`` messages waiting for the same recipient, in order."""
        history = [t for t in sent if t <= now]
        out: list[datetime] = []
        at = now
        for _ in range(queued):
            at = max(at, self.next_slot(history, at))
            out.append(at)
            history.append(at)
        return out


@dataclass(frozen=True)
class DigestSchedule:
    """Low-priority notifications are gathered and sent once a day at ``at`` (Vietnam time)."""

    at: time = time(16, 30)
    tz: tzinfo = VN

    def slot(self, created_at: datetime) -> datetime:
        """The digest an item created at ``created_at`` goes into: the first send time after
        it."""
        local = created_at.astimezone(self.tz)
        today = datetime.combine(local.date(), self.at, self.tz)
        return today if local < today else today + timedelta(days=1)


@dataclass(frozen=True)
class DigestItem:
    notification_id: str
    recipient: str
    channel: str
    created_at: datetime
    subject: str


@dataclass(frozen=True)
class Digest:
    recipient: str
    channel: str
    due_at: datetime
    items: tuple[DigestItem, ...]

    @property
    def id(self) -> str:
        """Stable across retries and re-computation: one digest per recipient, channel, day."""
        return f"digest:{self.channel}:{self.recipient}:{self.due_at.date().isoformat()}"

    def text(self) -> tuple[str, str]:
        """Subject and body (Vietnamese)."""
        day = self.due_at.strftime("%d/%m/%Y")
        subject = f"Tổng hợp thông báo ngày {day} ({len(self.items)})"
        lines = [
            f"- {i.created_at.astimezone(self.due_at.tzinfo).strftime('%H:%M %d/%m')}: {i.subject}"
            for i in self.items
        ]
        body = f"Các thông báo trong ngày {day}:\n" + "\n".join(lines)
        return subject, body


def group_digests(items: Iterable[DigestItem], schedule: DigestSchedule) -> list[Digest]:
    """Items grouped by recipient, channel and digest slot; each digest in time order."""
    groups: dict[tuple[str, str, datetime], list[DigestItem]] = {}
    for item in items:
        groups.setdefault(
            (item.recipient, item.channel, schedule.slot(item.created_at)), []
        ).append(item)
    return [
        Digest(r, c, due, tuple(sorted(g, key=lambda i: (i.created_at, i.notification_id))))
        for (r, c, due), g in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1]))
    ]


def due_digests(
    items: Iterable[DigestItem], schedule: DigestSchedule, now: datetime
) -> list[Digest]:
    """The digests whose send time has come."""
    return [d for d in group_digests(items, schedule) if d.due_at <= now]
