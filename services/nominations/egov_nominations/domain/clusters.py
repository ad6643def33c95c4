"""An emulation cluster's year as recorded: the cluster (members, leaders, the meeting that
proposed them) with who recorded it last and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from egov_nominations.domain.register import EmulationCluster


@dataclass(frozen=True)
class RecordedCluster:
    cluster: EmulationCluster
    recorded_by: str
    recorded_at: datetime
