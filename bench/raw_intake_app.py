"""The raw anchor of the intake benchmark: a bare ASGI app doing one INSERT per POST.

No framework, no auth, no validation, no idempotency, no outbox: the body is parsed with
``json.loads`` and inserted as one row through an asyncpg pool. Served by uvicorn exactly as a
service is, so the difference to ``POST /v1/status-reports`` is what the service does per
request. The database comes from ``RAW_INTAKE_DSN``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import asyncpg

_pool: asyncpg.Pool | None = None


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(os.environ["RAW_INTAKE_DSN"], max_size=10)
                await _pool.execute(
                    "CREATE TABLE IF NOT EXISTS raw_intake (id bigserial PRIMARY KEY,"
                    " dossier_code text NOT NULL, body jsonb NOT NULL)"
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert scope["type"] == "http" and _pool is not None
    status, answer = 404, b"{}"
    if scope["method"] == "POST":
        body = await _body(receive)
        data = json.loads(body)
        row_id = await _pool.fetchval(
            "INSERT INTO raw_intake (dossier_code, body) VALUES ($1, $2) RETURNING id",
            data["dossier_code"],
            body.decode(),
        )
        status, answer = 202, json.dumps({"id": row_id}).encode()
    elif scope["path"] == "/healthz":
        status = 200
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer})
