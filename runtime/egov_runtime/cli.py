"""Command line of every service: ``python -m egov_runtime.cli <service> <command>``.

Services register themselves with the ``egov.services`` entry point group, so the runtime kit
does not import any service. Commands:

- ``topics`` — create every declared topic (partitions, compaction, retention);
- ``<service> migrate`` — apply the service's migrations;
- ``<service> serve`` — run the HTTP API, consumers, relay and timers;
- ``<service> seed`` — load the demo data;
- ``<service> dead-letters list`` / ``<service> dead-letters replay [--id N ...] [--all]``;
- ``token --role ROLE [--unit CODE]`` — a development bearer token (local profile).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from importlib.metadata import entry_points
from typing import Any

from egov_runtime.service import ServiceSpec

GROUP = "egov.services"


def services() -> dict[str, ServiceSpec]:
    found: dict[str, ServiceSpec] = {}
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.load()
    return found


def _load(name: str) -> ServiceSpec:
    specs = services()
    if name not in specs:
        sys.exit(f"unknown service {name!r}; known: {', '.join(sorted(specs))}")
    return specs[name]


async def _migrate(spec: ServiceSpec) -> None:
    from egov_runtime.db import all_migrations, migrate

    settings = spec.settings_cls()
    applied = await migrate(settings.database_url, all_migrations(spec.migrations))
    names = [f"{m.scope}/{m.version}_{m.name}" for m in applied]
    print(
        f"{spec.name}: {len(applied)} migration(s) applied"
        + (f": {', '.join(names)}" if names else "")
    )


async def _topics(partitions: int | None) -> None:
    from egov_contracts.topics import ALL_TOPICS, dead_letter_topic

    from egov_runtime.kafka import ensure_topics
    from egov_runtime.settings import ServiceSettings

    bootstrap = (
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or ServiceSettings().kafka_bootstrap_servers
    )
    declared = list(ALL_TOPICS) + [dead_letter_topic(name) for name in services()]
    created = await ensure_topics(bootstrap, declared, partitions=partitions)
    print(f"topics: {len(created)} created, {len(declared) - len(created)} already present")


async def _reference(path: str | None) -> None:
    from pathlib import Path

    from egov_contracts.reference import DEMO_UNITS, load_units
    from egov_contracts.topics import REFERENCE_UNITS

    from egov_runtime.kafka import make_producer
    from egov_runtime.settings import ServiceSettings
    from egov_runtime.units import publish_units

    settings = ServiceSettings()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or settings.kafka_bootstrap_servers
    settings = settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
    units = load_units(Path(path) if path else DEMO_UNITS)
    producer = make_producer(settings, client_id="egov-reference")
    await producer.start()
    try:
        await publish_units(producer, units, f"/vn/{settings.province_code}/reference")
    finally:
        await producer.stop()
    print(f"reference: {len(units)} unit(s) published to {REFERENCE_UNITS.name}")


async def _with_runtime(spec: ServiceSpec, action: str, args: argparse.Namespace) -> None:
    from egov_runtime.db import create_pool
    from egov_runtime.deadletters import list_dead_letters, replay
    from egov_runtime.kafka import make_producer
    from egov_runtime.service import Runtime

    settings = spec.settings_cls()
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    producer = make_producer(settings, client_id=f"{spec.name}.cli")
    await producer.start()
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
            if not args.id and not args.all:
                sys.exit("replay needs --id N (repeatable) or --all")
            async with pool.acquire() as conn:
                done = await replay(conn, producer, None if args.all else args.id)
            print(f"replayed {len(done)} dead letter(s): {done}")
    finally:
        await producer.stop()
        await pool.close()


def _serve(spec: ServiceSpec) -> None:
    import uvicorn

    from egov_runtime.app import create_app

    settings = spec.settings_cls()
    app = create_app(spec, settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="egov", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="target", required=True)
    topics = sub.add_parser("topics", help="create every declared topic")
    topics.add_argument("--partitions", type=int, default=None)
    ref = sub.add_parser("reference", help="publish the admin-unit hierarchy (unit.upserted.v1)")
    ref.add_argument("--file", default=None, help="CSV of units (default: the demo province)")
    token = sub.add_parser("token", help="issue a development bearer token")
    token.add_argument("--role", action="append", required=True)
    token.add_argument("--unit", default=os.environ.get("EGOV_PROVINCE_CODE", "38"))
    token.add_argument("--subject", default="dev-user")
    token.add_argument("--secret", default=os.environ.get("EGOV_JWT_SECRET"))
    for name in sorted(services()):
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
    args = parser.parse_args(argv)

    if args.target == "topics":
        asyncio.run(_topics(args.partitions))
    elif args.target == "reference":
        asyncio.run(_reference(args.file))
    elif args.target == "token":
        from egov_runtime.auth import issue_token
        from egov_runtime.settings import ServiceSettings

        secret = args.secret or ServiceSettings().jwt_secret.get_secret_value()
        print(issue_token(secret, subject=args.subject, roles=args.role, unit_code=args.unit))
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


if __name__ == "__main__":
    main()
