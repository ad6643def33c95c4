"""Crash drills: prove "nothing lost, nothing duplicated" with real processes.

Each round runs the sample worker (:mod:`egov_devkit.sample`: an idempotent consumer that
records an effect and relays an outbound event, plus a downstream consumer of that event) as a
separate process, feeds it events (with deliberate duplicates) through a plain producer, and
meanwhile hurts it in one of these ways:

- ``kill``: SIGKILL the worker at random moments and restart it;
- ``before-db-commit`` / ``after-db-commit`` / ``after-publish``: the worker dies (as kill -9)
  at that exact point (fail points), mid-batch, after the database commit but before the
  offset commit, or after the relay published but before it marked its outbox rows;
- ``pg-terminate``: ``pg_terminate_backend`` on every connection of the worker's database;
- ``broker-pause``: the broker is frozen (SIGSTOP) for a while, then resumed (local broker only).

Then it waits until the pipeline settles and counts: inputs without an effect (lost), effects
more than once (duplicated), the same for the downstream stage, and outbound events missing
from the topic.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from egov_contracts.envelope import EventData, decode, encode, new_event

from egov_devkit.sample import effect_counts, prepare_database

MODES = (
    "kill",
    "before-db-commit",
    "after-db-commit",
    "after-publish",
    "pg-terminate",
    "broker-pause",
)
FAILPOINT = {
    "before-db-commit": "consumer.before-db-commit=0.5",
    "after-db-commit": "consumer.after-db-commit=0.5",
    "after-publish": "relay.after-publish=0.5",
}


@dataclass
class RoundResult:
    mode: str
    events: int
    lost: int
    duplicated: int
    downstream_lost: int
    downstream_duplicated: int
    unpublished: int
    faults: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.downstream_lost
            or self.downstream_duplicated
            or self.unpublished
        )


class Worker:
    def __init__(self, dsn: str, bootstrap: str, in_topic: str, out_topic: str) -> None:
        self.args = [
            sys.executable,
            "-m",
            "egov_devkit.sample",
            "worker",
            "--dsn",
            dsn,
            "--bootstrap",
            bootstrap,
            "--in-topic",
            in_topic,
            "--out-topic",
            out_topic,
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, failpoints: str = "") -> None:
        env = {**os.environ, "EGOV_FAILPOINTS": failpoints}
        self.proc = subprocess.Popen(
            self.args,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


def reader(bootstrap: str, topic: str, group: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer of ``topic`` from its first record, in a group of its own named after
    ``group``, committing nothing (a check or a measurement reads, it does not consume)."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{group}-{uuid.uuid4()}",
        enable_auto_commit=False,
        **options,
    )


async def _published_causes(
    bootstrap: str, topic: str, wanted: set[str], timeout: float
) -> set[str]:
    consumer = reader(bootstrap, topic, "drill-check")
    await consumer.start()
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + timeout
        while not wanted <= seen and time.monotonic() < deadline:
            for recs in (await consumer.getmany(timeout_ms=300)).values():
                for r in recs:
                    seen.add(decode(r.value, r.headers).causationid or "")
    finally:
        await consumer.stop()
    return seen


async def run_round(
    *,
    mode: str,
    bootstrap: str,
    admin_dsn: str,
    make_data: Callable[[int], EventData],
    events: int = 300,
    pause_broker: Callable[[bool], None] | None = None,
    settle_timeout: float = 120.0,
    log: Callable[[str], None] = lambda _m: None,
) -> RoundResult:
    started = time.monotonic()
    name = f"drill_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = admin_dsn.rsplit("/", 1)[0] + "/" + name
    in_topic, out_topic = f"drill.{name}.in", f"drill.{name}.out"
    await prepare_database(dsn)
    await create_topics(bootstrap, [in_topic, out_topic], partitions=3)
    worker = Worker(dsn, bootstrap, in_topic, out_topic)
    worker.start(FAILPOINT.get(mode, ""))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    inputs = [
        new_event(make_data(i), source="/vn/00/drill", subject=f"A{i % 17}") for i in range(events)
    ]
    faults = 0
    db = await asyncpg.connect(dsn)
    try:

        async def feed() -> None:
            for i, ev in enumerate(inputs):
                value, headers = encode(ev)
                await producer.send(in_topic, value=value, key=ev.subject.encode(), headers=headers)
                if i % 10 == 0:  # a redelivered copy
                    await producer.send(
                        in_topic, value=value, key=ev.subject.encode(), headers=headers
                    )
                if i % 10 == 0:  # spread the feed over ~14 s (the worker joins after ~5 s)
                    await producer.flush()
                    await asyncio.sleep(140 / events)
            await producer.flush()

        feeding = asyncio.create_task(feed())
        hurt_until = time.monotonic() + 15
        give_up = time.monotonic() + 40
        while (
            time.monotonic() < hurt_until
            or not feeding.done()
            or (faults < 2 and time.monotonic() < give_up)
        ):
            await asyncio.sleep(random.uniform(0.3, 1.2))
            if not worker.alive():
                faults += 1
                worker.start(FAILPOINT.get(mode, "") if faults < 6 else "")
            elif mode == "kill":
                worker.kill()
                faults += 1
                worker.start()
            elif mode == "pg-terminate":
                await db.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
                faults += 1
            elif mode == "broker-pause" and pause_broker is not None and faults < 3:
                pause_broker(True)
                await asyncio.sleep(random.uniform(1.0, 3.0))
                pause_broker(False)
                faults += 1
        await feeding
        if not worker.alive() or mode in FAILPOINT:
            worker.kill()
            worker.start()  # settle without fail points
        log(f"  {mode}: fed {events} (+dups), {faults} fault(s); settling")
        deadline = time.monotonic() + settle_timeout
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            counts = await effect_counts(db)
            if (
                counts["distinct_effects"] >= events
                and counts["distinct_downstream"] >= events
                and counts["backlog"] == 0
            ):
                break
            if not worker.alive():
                worker.start()
            await asyncio.sleep(0.5)
        wanted = {e.id for e in inputs}
        causes = await _published_causes(bootstrap, out_topic, wanted, timeout=20)
        counts = await effect_counts(db)
        return RoundResult(
            mode=mode,
            events=events,
            lost=events - counts["distinct_effects"],
            duplicated=counts["effects"] - counts["distinct_effects"],
            downstream_lost=events - counts["distinct_downstream"],
            downstream_duplicated=counts["downstream"] - counts["distinct_downstream"],
            unpublished=len(wanted - causes),
            faults=faults,
            seconds=time.monotonic() - started,
        )
    finally:
        worker.stop()
        await producer.stop()
        await db.close()
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


async def run_drills(
    rounds: int,
    bootstrap: str,
    admin_dsn: str,
    make_data: Callable[[int], EventData],
    pause_broker: Callable[[bool], None] | None,
    events: int = 300,
    log: Callable[[str], None] = print,
) -> list[RoundResult]:
    modes = [m for m in MODES if m != "broker-pause" or pause_broker is not None]
    results = []
    for n in range(rounds):
        mode = modes[n % len(modes)]
        result = await run_round(
            mode=mode,
            bootstrap=bootstrap,
            admin_dsn=admin_dsn,
            make_data=make_data,
            events=events,
            pause_broker=pause_broker,
            log=log,
        )
        results.append(result)
        log(
            f"round {n + 1}/{rounds} {mode}: lost={result.lost} duplicated={result.duplicated}"
            f" downstream_lost={result.downstream_lost}"
            f" downstream_duplicated={result.downstream_duplicated}"
            f" unpublished={result.unpublished} faults={result.faults}"
            f" ({result.seconds:.1f}s)"
        )
    return results


def summary(results: list[RoundResult]) -> str:
    return (
        f"rounds={len(results)} events={sum(r.events for r in results)}"
        f" faults={sum(r.faults for r in results)}"
        f" lost={sum(r.lost + r.downstream_lost for r in results)}"
        f" duplicated={sum(r.duplicated + r.downstream_duplicated for r in results)}"
        f" unpublished={sum(r.unpublished for r in results)}"
    )
