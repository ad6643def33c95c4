"""The admin-unit hierarchy of the reference data (the runtime kit's read model)."""

from __future__ import annotations

import asyncpg
from egov_runtime.units import load_hierarchy
from egov_units import Hierarchy


class PgUnitTree:
    """:class:`~egov_procedures.domain.repositories.UnitTree` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def hierarchy(self) -> Hierarchy:
        return await load_hierarchy(self.conn)
