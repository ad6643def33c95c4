"""In-memory fakes of the runtime kit's transaction, for use-case tests with no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from egov_contracts.envelope import CloudEvent, EventData, parse_data
from egov_runtime.consumer import Tx
from egov_units import Hierarchy

D = TypeVar("D", bound=EventData)


@dataclass
class RecordingTx(Tx):
    """A :class:`~egov_runtime.consumer.Tx` with no connection that records what a use case
    emits (topic, event, headers) instead of writing the outbox; ``refused`` is the real one.

    ``publish``, ``publish_all`` and ``event`` are the kit's own, so a use case tested with it
    builds its events exactly as it does on PostgreSQL."""

    conn: Any = None
    service: str = "test"
    source: str = "/vn/38/test"
    emitted: list[tuple[str, CloudEvent, tuple[tuple[str, bytes], ...]]] = field(
        default_factory=list
    )

    async def emit(
        self,
        topic: str,
        events: Sequence[CloudEvent],
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        self.emitted.extend((topic, e, tuple(headers)) for e in events)

    @property
    def events(self) -> list[CloudEvent]:
        return [e for _, e, _ in self.emitted]

    def published(self, model: type[D]) -> list[D]:
        """The data of the emitted events of one contract type, in order."""
        return [
            data
            for e in self.events
            if e.type == model.event_type and isinstance(data := parse_data(e), model)
        ]


@dataclass
class FakeUnitTree:
    """The units read model of a use case's ``Work``, answering a fixed hierarchy."""

    units: Hierarchy

    async def hierarchy(self) -> Hierarchy:
        return self.units
