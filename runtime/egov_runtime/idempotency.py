"""HTTP ``Idempotency-Key``: the same key and body from the same caller never acts twice.

The stored response is returned again for a repeat; the same key with a different body is a
409. The action and the record of its response commit in one transaction, and a transaction
advisory lock on (caller, key) serialises concurrent repeats.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from egov_runtime.consumer import Tx
from egov_runtime.problems import Problem
from egov_runtime.service import Runtime

Action = Callable[[Tx], Awaitable[tuple[int, dict[str, Any]]]]


async def run_once(
    runtime: Runtime, principal: str, key: str | None, body: bytes, action: Action
) -> tuple[int, dict[str, Any]]:
    """Run ``action`` in a transaction, at most once per (principal, key)."""
    async with runtime.transaction() as tx:
        if not key:
            return await action(tx)
        if len(key) > 255:
            raise Problem(422, "Invalid Idempotency-Key", "At most 255 characters.")
        digest = hashlib.sha256(body).hexdigest()
        await tx.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{principal}\x1f{key}"
        )
        row = await tx.conn.fetchrow(
            "SELECT request_hash, status_code, body FROM http_idempotency"
            " WHERE principal = $1 AND key = $2",
            principal,
            key,
        )
        if row is not None:
            if row["request_hash"] != digest:
                raise Problem(
                    409,
                    "Idempotency-Key reused",
                    "This Idempotency-Key was used with a different request body.",
                )
            return int(row["status_code"]), dict(row["body"])
        status, response = await action(tx)
        await tx.conn.execute(
            "INSERT INTO http_idempotency (principal, key, request_hash, status_code, body)"
            " VALUES ($1, $2, $3, $4, $5)",
            principal,
            key,
            digest,
            status,
            response,
        )
        return status, response
