"""PostgreSQL access: an asyncpg pool and forward-only SQL migrations.

Migrations are plain ``NNNN_name.sql`` files applied in order inside one transaction each and
recorded with a SHA-256 checksum in ``schema_migrations``; an applied file that was edited
afterwards is refused. A small runner instead of yoyo-migrations: yoyo is synchronous and
drives psycopg, while every service here talks asyncpg only, and the runner needs little more
than this file. The runtime kit's own tables (outbox, inbox, dead letters, idempotency keys)
are the ``runtime`` scope, applied before the service's scope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from egov_contracts.types import VN_TZ, in_vn

RUNTIME_MIGRATIONS = Path(__file__).parent / "sql"
_MIGRATION_LOCK = 7_310_001  # advisory lock id held while migrating


class MigrationError(RuntimeError):
    pass


# The session's zone (a startup parameter, so the pool's RESET ALL keeps it): what PostgreSQL
# itself writes as text (timestamps inside json_build_object, ::text) is in Vietnam time too.
SERVER_SETTINGS = {"timezone": VN_TZ.key}
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_PG_INFINITY = 2**63 - 1
_MICROSECOND = timedelta(microseconds=1)


def _decode_timestamptz(value: tuple[int]) -> datetime:
    """PostgreSQL's microseconds since 2000-01-01 UTC, as a datetime in Vietnam time: every
    time the services read from their database is already in the zone people read."""
    micros = value[0]
    if micros >= _PG_INFINITY:
        return datetime.max.replace(tzinfo=VN_TZ)
    if micros <= -_PG_INFINITY:
        return datetime.min.replace(tzinfo=VN_TZ)
    return (_PG_EPOCH + timedelta(microseconds=micros)).astimezone(VN_TZ)


def _encode_timestamptz(value: datetime) -> tuple[int]:
    """A datetime without an offset is Vietnam time (asyncpg's own codec would take the
    machine's local zone)."""
    wall = value.replace(tzinfo=None)
    if wall == datetime.max:
        return (_PG_INFINITY,)
    if wall == datetime.min:
        return (-_PG_INFINITY,)
    return ((in_vn(value) - _PG_EPOCH) // _MICROSECOND,)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec(
        "timestamptz",
        encoder=_encode_timestamptz,
        decoder=_decode_timestamptz,
        schema="pg_catalog",
        format="tuple",
    )
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """The service's pool. A connection goes back to it as its transaction left it: what a
    pooled connection changes is transaction-scoped (``pg_advisory_xact_lock``, no session
    ``SET``, no temporary table), and what needs a session (the relay's advisory lock and
    LISTEN, the migrations' lock, the notifier feed's LISTEN) holds a connection of its own
    (:func:`connect`). So the pool does not send asyncpg's reset query at every release (a
    round trip more for every transaction, a sixth of a consumer batch's at the rates of a
    province); asyncpg still rolls back a transaction left open and drops the listeners."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
        server_settings=SERVER_SETTINGS,
    )
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset after asyncpg's own (see :func:`create_pool`): nothing more."""


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn, server_settings=SERVER_SETTINGS)
    await _init_connection(conn)
    return conn


# -- text arrays as one parameter -----------------------------------------------------------
# The batch statements of the pipeline (inbox, outbox, relay) pass a column of a thousand rows
# as an array. asyncpg encodes an array element by element, asking for each whether it is
# itself an array (two ``collections.abc`` checks, Python calls): ~0.5 µs an element, the
# largest cost of those statements in the consumer's profile. Texts joined by U+001F (the unit
# separator; U+001E stands for NULL) and split by ``string_to_array`` are one text parameter
# instead: measured on the outbox insert, half its client CPU and less server time too. Event
# ids, types, subjects and trace contexts cannot hold either character (CloudEvents forbids
# control characters, the contracts refuse them), but the join is checked all the same: a
# column that does not survive it goes as an array, through the same statement.
_SEPARATOR = "\x1f"
_NULL = "\x1e"


def text_array_sql(param: int) -> str:
    """SQL of a ``text[]`` passed as the parameters ``$param`` (an array, or NULL) and
    ``$param + 1`` (the joined text, or NULL), as :func:`text_array_args` gives them."""
    return f"coalesce(${param}::text[], string_to_array(${param + 1}::text, E'\\x1f', E'\\x1e'))"


def text_array_args(texts: Sequence[str | None]) -> tuple[Sequence[str | None] | None, str | None]:
    """The two parameters of :func:`text_array_sql` for ``texts``: (None, joined) when the
    texts survive the join, else (texts, None)."""
    nulls = texts.count(None) if None in texts else 0
    items = [_NULL if t is None else t for t in texts] if nulls else texts
    try:
        joined = _SEPARATOR.join(items)  # type: ignore[arg-type]
    except TypeError:  # not text: the array's own encoding says what is wrong
        return texts, None
    if (
        joined.count(_SEPARATOR) == len(texts) - 1
        and joined.count(_NULL) == nulls
        and (joined or len(texts) != 1)  # [""] would split into no element at all
    ):
        return None, joined
    return texts, None


def bigint_array_text(numbers: Sequence[int]) -> str:
    """A ``bigint[]`` as one text parameter (``string_to_array($n, ',')::bigint[]``), for the
    reason above."""
    return ",".join(map(str, numbers))


@dataclass(frozen=True)
class Migration:
    scope: str
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(scope: str, directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        if not version.isdigit():
            raise MigrationError(f"migration file {path.name} must start with a number")
        found.append(Migration(scope, version, name, path.read_text(encoding="utf-8")))
    return found


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    scope      text NOT NULL,
    version    text NOT NULL,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, version)
)"""


async def pending_migrations(
    conn: asyncpg.Connection, migrations: list[Migration]
) -> list[Migration]:
    """Migrations not applied yet; raises if an applied one changed since."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied: dict[tuple[str, str], str] = {}
    if exists:
        rows = await conn.fetch("SELECT scope, version, checksum FROM schema_migrations")
        applied = {(r["scope"], r["version"]): r["checksum"] for r in rows}
    pending = []
    for m in migrations:
        checksum = applied.get((m.scope, m.version))
        if checksum is None:
            pending.append(m)
        elif checksum != m.checksum:
            raise MigrationError(
                f"migration {m.scope}/{m.version}_{m.name} was changed after it was applied"
            )
    return pending


async def migrate(dsn: str, migrations: list[Migration]) -> list[Migration]:
    """Apply pending migrations; returns those applied. Safe to run from several processes."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(_CREATE_TABLE)
            todo = await pending_migrations(conn, migrations)
            for m in todo:
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (scope, version, name, checksum)"
                        " VALUES ($1, $2, $3, $4)",
                        m.scope,
                        m.version,
                        m.name,
                        m.checksum,
                    )
            return todo
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    finally:
        await conn.close()


def all_migrations(service_dir: Path | None) -> list[Migration]:
    found = load_migrations("runtime", RUNTIME_MIGRATIONS)
    if service_dir is not None:
        found += load_migrations("service", service_dir)
    return found


Record = asyncpg.Record
Connection = asyncpg.Connection
Pool = asyncpg.Pool
