"""What tells an open page to refresh: the console follows the public topics (dossier
lifecycle and deadline events, notification deliveries) with the kit's consumer, and counts
changes. A page's small script asks ``/live`` for the count every few seconds and, when it moved,
fetches the page again and swaps its content (no reload, no internet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from egov_contracts.topics import DOSSIERS, NOTIFICATION_DELIVERIES
from egov_runtime.consumer import Incoming, Subscription, Tx


@dataclass
class Live:
    version: int = 0
    changed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def bump(self, count: int = 1) -> None:
        self.version += count
        self.changed_at = datetime.now(UTC)


def live_subscription(live: Live) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        # Nothing is stored: the pages read the services' APIs again when told to.
        live.bump(len(items))

    return Subscription("live", (DOSSIERS.name, NOTIFICATION_DELIVERIES.name), handle, None)
