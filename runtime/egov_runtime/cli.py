"""Command line of every service: ``python -m egov_runtime.cli <service> <command>``.

Services register themselves with the ``egov.services`` entry point group, so the runtime kit
does not import any service. Commands:

- ``topics [--replication-factor N] [--min-insync-replicas N]`` — create every declared topic
  (partitions, compaction, retention; replication 1 unless given, e.g. 3 and 2 on a
  three-broker cluster);
- ``<service> migrate`` — apply the service's migrations;
- ``<service> serve`` — run the HTTP API, consumers, relay and timers;
- ``<service> seed`` — load the demo data;
- ``<service> dead-letters list`` / ``<service> dead-letters replay [--id N ...] [--all]``;
- ``token --role ROLE [--unit CODE]`` — a development bearer token for the local stack.

Against ``make run`` no flag is needed: when ``.run/stack.json`` exists (or the file named by
``EGOV_STACK_FILE``), its broker, databases and signing secret are used wherever the
environment does not set them. Every error is one line on stderr and a non-zero exit
(``EGOV_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from importlib.metadata import entry_points
from typing import Any

from egov_runtime.service import ServiceSpec
from egov_runtime.settings import ServiceSettings
from egov_runtime.stackfile import StackFileError, load_stack, stack_file_path

GROUP = "egov.services"


class CliError(Exception):
    """A failure to report as one line (no traceback)."""


def _stack() -> dict[str, Any] | None:
    return load_stack()


def _bootstrap() -> tuple[str, str]:
    """(bootstrap servers, where they come from) for commands of no particular service."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"], "KAFKA_BOOTSTRAP_SERVERS"
    stack = _stack()
    if stack and stack.get("kafka_bootstrap"):
        return str(stack["kafka_bootstrap"]), str(stack_file_path())
    return ServiceSettings().kafka_bootstrap_servers, "the default"


def _service_settings(spec: ServiceSpec) -> tuple[ServiceSettings, dict[str, str]]:
    """The service's settings (environment first, then the stack file) and, per connection
    setting, where its value comes from."""
    prefix = str(spec.settings_cls.model_config.get("env_prefix", ""))
    stack = _stack() or {}
    mine = (stack.get("services") or {}).get(spec.name) or {}
    source = str(stack_file_path())
    overrides: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for field_name, value in (
        ("database_url", mine.get("database_url")),
        ("kafka_bootstrap_servers", os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
        ("kafka_bootstrap_servers", stack.get("kafka_bootstrap")),
        ("jwt_secret", stack.get("jwt_secret")),
        ("profile", "local" if stack else None),
    ):
        env_name = f"{prefix}{field_name.upper()}"
        if env_name in os.environ:
            origin[field_name] = env_name
        elif value and field_name not in overrides:
            overrides[field_name] = value
            origin[field_name] = (
                "KAFKA_BOOTSTRAP_SERVERS"
                if field_name == "kafka_bootstrap_servers"
                and value == os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
                else source
            )
    for field_name in ("database_url", "kafka_bootstrap_servers"):
        origin.setdefault(field_name, "the default")
    return spec.settings_cls(**overrides), origin


def _where(dsn: str) -> str:
    """host:port/database of a DSN, without the user or password."""
    from urllib.parse import urlsplit

    parts = urlsplit(dsn)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


async def _connect_pool(dsn: str, origin: str) -> Any:
    import asyncpg

    from egov_runtime.db import create_pool

    try:
        return await asyncio.wait_for(create_pool(dsn, min_size=1, max_size=4), timeout=15)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise CliError(
            f"cannot connect to PostgreSQL at {_where(dsn)} (from {origin}): {_one_line(exc)}"
        ) from exc


def _broker_error(bootstrap: str, origin: str, exc: BaseException) -> CliError:
    from aiokafka.errors import KafkaConnectionError

    why = "nothing answers there" if isinstance(exc, KafkaConnectionError) else _one_line(exc)
    hint = "; is `make run` up?" if origin != "KAFKA_BOOTSTRAP_SERVERS" else ""
    return CliError(f"cannot reach the Kafka broker at {bootstrap} (from {origin}): {why}{hint}")


def services() -> dict[str, ServiceSpec]:
    found: dict[str, ServiceSpec] = {}
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.load()
    return found


def service_names() -> list[str]:
    """The installed services' names, without importing them (``token`` and ``topics`` need
    no service code, and a service's imports cost time)."""
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def _load(name: str) -> ServiceSpec:
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            try:
                spec: ServiceSpec = ep.load()
            except Exception as exc:  # an entry point whose code cannot be imported
                raise CliError(f"cannot load service {name}: {type(exc).__name__}: {exc}") from exc
            return spec
    raise CliError(f"unknown service {name!r}; known: {', '.join(service_names())}")


async def _migrate(spec: ServiceSpec) -> None:
    from egov_runtime.db import all_migrations, migrate

    settings, _origin = _service_settings(spec)
    applied = await migrate(settings.database_url, all_migrations(spec.migrations))
    names = [f"{m.scope}/{m.version}_{m.name}" for m in applied]
    print(
        f"{spec.name}: {len(applied)} migration(s) applied"
        + (f": {', '.join(names)}" if names else "")
    )


async def _topics(
    partitions: int | None, replication_factor: int = 1, min_insync_replicas: int | None = None
) -> None:
    from aiokafka.errors import KafkaError
    from egov_contracts.topics import ALL_TOPICS, dead_letter_topic

    from egov_runtime.kafka import client_security, ensure_topics

    bootstrap, origin = _bootstrap()
    declared = list(ALL_TOPICS) + [dead_letter_topic(name) for name in service_names()]
    try:
        security = client_security(ServiceSettings())  # EGOV_KAFKA_SECURITY_PROTOCOL, ...
        created = await ensure_topics(
            bootstrap,
            declared,
            partitions=partitions,
            replication_factor=replication_factor,
            min_insync_replicas=min_insync_replicas,
            client_options=security,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    except (KafkaError, OSError) as exc:
        raise _broker_error(bootstrap, origin, exc) from exc
    print(f"topics: {len(created)} created, {len(declared) - len(created)} already present")


async def _reference(path: str | None) -> None:
    from pathlib import Path

    from aiokafka.errors import KafkaError
    from egov_contracts.reference import DEMO_UNITS, load_units
    from egov_contracts.topics import REFERENCE_UNITS

    from egov_runtime.kafka import make_producer
    from egov_runtime.units import publish_units

    settings = ServiceSettings()
    bootstrap, origin = _bootstrap()
    settings = settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
    try:
        units = load_units(Path(path) if path else DEMO_UNITS)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the units of {path}: {_one_line(exc)}") from exc
    producer = make_producer(settings, client_id="egov-reference")
    try:
        await producer.start()
    except (KafkaError, OSError) as exc:
        await producer.stop()
        raise _broker_error(bootstrap, origin, exc) from exc
    try:
        await publish_units(producer, units, f"/vn/{settings.province_code}/reference")
    finally:
        await producer.stop()
    print(f"reference: {len(units)} unit(s) published to {REFERENCE_UNITS.name}")


async def _with_runtime(spec: ServiceSpec, action: str, args: argparse.Namespace) -> None:
    from aiokafka.errors import KafkaError

    from egov_runtime.deadletters import list_dead_letters, replay
    from egov_runtime.kafka import make_producer
    from egov_runtime.service import Runtime

    if action == "replay" and not args.id and not args.all:
        raise CliError("replay needs --id N (repeatable) or --all")
    settings, origin = _service_settings(spec)
    pool = await _connect_pool(settings.database_url, origin["database_url"])
    producer = make_producer(settings, client_id=f"{spec.name}.cli")
    try:
        await producer.start()
    except (KafkaError, OSError) as exc:
        await producer.stop()
        await pool.close()
        raise _broker_error(
            settings.kafka_bootstrap_servers, origin["kafka_bootstrap_servers"], exc
        ) from exc
    try:
        runtime = Runtime(spec.name, settings, pool, producer)
        if action == "seed":
            if spec.seed is None:
                print(f"{spec.name}: no demo data")
            else:
                print(f"{spec.name}: {await spec.seed(runtime)}")
        elif action == "list":
            async with pool.acquire() as conn:
                rows = await list_dead_letters(conn, include_replayed=args.all, limit=args.limit)
            for r in rows:
                print(json.dumps(r, default=str, ensure_ascii=False))
            print(f"{len(rows)} dead letter(s)", file=sys.stderr)
        elif action == "replay":
            async with pool.acquire() as conn:
                done = await replay(conn, producer, None if args.all else args.id)
            print(f"replayed {len(done)} dead letter(s): {done}")
    finally:
        await producer.stop()
        await pool.close()


def _serve(spec: ServiceSpec) -> None:
    import uvicorn

    from egov_runtime.app import create_app
    from egov_runtime.collector import tune_collector
    from egov_runtime.settings import UnsafeSettings

    settings = spec.settings_cls()  # a deployment's environment only, never the stack file
    try:
        app = create_app(spec, settings)
    except UnsafeSettings as exc:
        raise CliError(str(exc)) from exc
    # the service's code and app are loaded: they stay for the process's life
    tune_collector(settings.gc_young_threshold)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


def _token(args: argparse.Namespace) -> None:
    from egov_runtime.auth import ROLES, issue_token

    secret = args.secret or os.environ.get("EGOV_JWT_SECRET")
    if not secret:
        stack = _stack()
        secret = (stack or {}).get("jwt_secret")
        if not secret:
            why = (
                f"{stack_file_path()} has no jwt_secret (written by an older make run?)"
                if stack
                else f"no {stack_file_path()}"
            )
            raise CliError(
                f"no signing secret: {why}; start the local stack with `make run` (it writes"
                " .run/stack.json), or give the services' secret with --secret or EGOV_JWT_SECRET"
            )
    unit = args.unit or os.environ.get("EGOV_PROVINCE_CODE", "38")
    try:
        print(issue_token(secret, subject=args.subject, roles=args.role, unit_code=unit))
    except ValueError as exc:
        raise CliError(f"{exc}; known roles: {', '.join(ROLES)}") from exc


def _parser() -> argparse.ArgumentParser:
    from egov_runtime.auth import ROLES

    parser = argparse.ArgumentParser(
        prog="python -m egov_runtime.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="target", required=True)
    topics = sub.add_parser("topics", help="create every declared topic")
    topics.add_argument("--partitions", type=int, default=None)
    topics.add_argument(
        "--replication-factor",
        type=int,
        default=int(os.environ.get("EGOV_TOPIC_REPLICATION_FACTOR", "1")),
        help="replicas of each new topic (env EGOV_TOPIC_REPLICATION_FACTOR, default 1)",
    )
    topics.add_argument(
        "--min-insync-replicas",
        type=int,
        default=int(os.environ["EGOV_TOPIC_MIN_INSYNC_REPLICAS"])
        if os.environ.get("EGOV_TOPIC_MIN_INSYNC_REPLICAS")
        else None,
        help="min.insync.replicas of each new topic (env EGOV_TOPIC_MIN_INSYNC_REPLICAS)",
    )
    ref = sub.add_parser("reference", help="publish the admin-unit hierarchy (unit.upserted.v1)")
    ref.add_argument("--file", default=None, help="CSV of units (default: the demo province)")
    token = sub.add_parser(
        "token",
        help="issue a development bearer token",
        description="A bearer token signed with --secret, else EGOV_JWT_SECRET, else the"
        " secret of the running local stack (.run/stack.json).",
    )
    token.add_argument("--role", action="append", required=True, choices=ROLES)
    token.add_argument("--unit", default=None, help="unit code (default: the province)")
    token.add_argument("--subject", default="dev-user")
    token.add_argument("--secret", default=None)
    for name in service_names():
        svc = sub.add_parser(name, help=f"commands of {name}")
        cmds = svc.add_subparsers(dest="command", required=True)
        cmds.add_parser("serve")
        cmds.add_parser("migrate")
        cmds.add_parser("seed")
        dl = cmds.add_parser("dead-letters").add_subparsers(dest="dl_command", required=True)
        ls = dl.add_parser("list")
        ls.add_argument("--all", action="store_true", help="include replayed ones")
        ls.add_argument("--limit", type=int, default=100)
        rp = dl.add_parser("replay")
        rp.add_argument("--id", type=int, action="append")
        rp.add_argument("--all", action="store_true")
    return parser


def _dispatch(args: argparse.Namespace) -> None:
    if args.target == "topics":
        asyncio.run(_topics(args.partitions, args.replication_factor, args.min_insync_replicas))
    elif args.target == "reference":
        asyncio.run(_reference(args.file))
    elif args.target == "token":
        _token(args)
    else:
        spec = _load(args.target)
        command: Any = args.command
        if command == "serve":
            _serve(spec)
        elif command == "migrate":
            asyncio.run(_migrate(spec))
        elif command == "seed":
            asyncio.run(_with_runtime(spec, "seed", args))
        else:
            asyncio.run(_with_runtime(spec, args.dl_command, args))


def _run(argv: list[str] | None) -> None:
    args = _parser().parse_args(argv)
    if getattr(args, "command", None) != "serve":
        # the client library logs each failed connection attempt; the error below says it once
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    _dispatch(args)


def main(argv: list[str] | None = None) -> None:
    try:
        _run(argv)
    except KeyboardInterrupt:
        sys.exit(130)
    except (SystemExit, GeneratorExit):
        raise
    except Exception as exc:  # every failure is one line for a person, not a traceback
        if os.environ.get("EGOV_DEBUG"):
            raise
        message = str(exc) if isinstance(exc, CliError | StackFileError) else None
        if message is None:
            message = f"{type(exc).__name__}: {_one_line(exc)}"
        print(f"egov: error: {message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
