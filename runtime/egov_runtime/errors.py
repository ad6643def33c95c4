"""Which failures are transient (retry without limit, the partition waits) and which are not."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

_TRANSIENT_PG = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.OperatorInterventionError,  # incl. pg_terminate_backend, admin shutdown
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def is_transient(exc: BaseException) -> bool:
    """Infrastructure failures: the database or broker is away; the same work will succeed later.

    Everything else (a handler bug, a constraint violation, bad data) is retried a bounded
    number of times and then dead-lettered, so one poison event cannot stall a partition.
    """
    if isinstance(exc, (*_TRANSIENT_PG, OSError, asyncio.TimeoutError, TimeoutError)):
        return True
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))
