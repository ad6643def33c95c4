"""Benchmark of the runtime kit against the raw bound of this machine.

Prints, in one run and on the same records (~350-byte CloudEvents):

- the raw bound: plain aiokafka produce, plain aiokafka consume (+ json.loads), asyncpg COPY
  of the same rows, and the raw *serial* bound: one event's time through the three in series;
- the kit's pipeline: consume a batch → inbox + state + outbox in one transaction → the relay
  publishes → offsets committed, timed until every input's outbound event is on the topic;
- a second, independent raw bound: the same job as the pipeline written as a plain
  aiokafka + asyncpg loop without the kit (consume a batch, inbox + state + outbox in one
  transaction, produce and wait for the acks, commit offsets);
- the ratios pipeline / raw serial bound and pipeline / plain loop; the raw stages and the
  pipeline run in turn, ``--rounds`` times (3), and the round of the median ratio is printed
  (the machine's speed drifts between minutes: figures taken seconds apart compare);
- end-to-end latency percentiles (input produced → outbound event consumed) at fixed
  offered rates below the pipeline's capacity (500 and 1,000 events/s by default), the
  pipeline in a worker process of its own (as a service runs), the load offered and the
  outbound events read from this one.

Usage: ``python bench/bench.py [--events 50000] [--rates 500,1000] [--seconds 10]
[--stages pipeline,...]``. Uses
``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` when set, else starts the local broker and uses
the local PostgreSQL (as ``make run`` does).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from egov_contracts.envelope import CloudEvent, decode, encode, new_event
from egov_devkit import drill
from egov_devkit.devstack.broker import LOCAL_BROKER_FETCH_WAIT_MS
from egov_devkit.sample import SERVICE, effect_counts, prepare_database, run_worker, sample_data
from egov_runtime.collector import tune_collector
from egov_runtime.metrics import EVENTS_PRODUCED
from egov_workdays import VN_TZ
from localenv import local_env


def progress(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


def make_events(n: int) -> list[CloudEvent]:
    return [
        new_event(sample_data(i), source="/vn/38/bench", subject=f"HS-{i % 997:05d}")
        for i in range(n)
    ]


async def create_topics(bootstrap: str, *names: str, partitions: int = 4) -> None:
    await drill.create_topics(bootstrap, list(names), partitions)


async def produce_all(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes, list]]
) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=1_048_576
    )
    await producer.start()
    try:
        t0 = time.perf_counter()
        futures = []
        for i, (key, value, headers) in enumerate(records):
            futures.append(await producer.send(topic, value=value, key=key, headers=headers))
            if i % 10_000 == 0 and i:
                progress(f"raw produce {i}/{len(records)}")
        await asyncio.gather(*futures)
        return time.perf_counter() - t0
    finally:
        await producer.stop()


async def consume_all(bootstrap: str, topic: str, n: int) -> float:
    consumer = drill.reader(bootstrap, topic, "bench", max_partition_fetch_bytes=4_194_304)
    await consumer.start()
    try:
        got = 0
        t0 = time.perf_counter()
        while got < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for recs in batch.values():
                for r in recs:
                    json.loads(r.value)
                got += len(recs)
        return time.perf_counter() - t0
    finally:
        await consumer.stop()


async def copy_all(dsn: str, records: list[tuple[bytes, bytes, list]]) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE bench_copy (key text, value bytea)")
        t0 = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_copy", records=[(k.decode(), v) for k, v, _h in records]
        )
        return time.perf_counter() - t0
    finally:
        await conn.close()


def published_count(out_topic: str) -> int:
    """How many outbound events the relay of this process has published (its Prometheus
    counter, counted once the broker acknowledged them): free to read, where counting rows
    twenty times a second took database CPU from the pipeline it measures. The one counter is
    collected, not the whole registry (whose process collector reads /proc: 1 % of the
    pipeline's profile at twenty reads a second)."""
    labels = {"service": SERVICE, "topic": out_topic}
    for family in EVENTS_PRODUCED.collect():
        for sample in family.samples:
            if sample.name == "egov_events_produced_total" and sample.labels == labels:
                return int(sample.value)
    return 0


async def handled_and_published(conn: asyncpg.Connection) -> tuple[int, int]:
    """Inputs handled and their outbound events published, from another process: an input's
    inbox row and its outbox row commit together, and the relay deletes the outbox row once
    the broker acknowledged it (one statement, one snapshot)."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM inbox) AS handled, (SELECT count(*) FROM outbox) AS pending"
    )
    return int(row["handled"]), int(row["handled"]) - int(row["pending"])


async def last_record_time(bootstrap: str, topic: str, n: int) -> float:
    """The newest timestamp (epoch seconds) of the ``n`` records on ``topic``: when their
    producer appended the last one (aiokafka stamps a record as it is batched)."""
    consumer = drill.reader(bootstrap, topic, "bench")
    await consumer.start()
    try:
        got, last = 0, 0
        while got < n:
            for recs in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                got += len(recs)
                last = max([last, *(r.timestamp for r in recs)])
        return last / 1000
    finally:
        await consumer.stop()


@contextlib.asynccontextmanager
async def profiled(output: str | None) -> AsyncIterator[None]:
    """Sample this process with py-spy while the block runs (nothing when ``output`` is None):
    a flame graph for ``.svg``, speedscope JSON for ``.json``, collapsed stacks otherwise."""
    if output is None:
        yield
        return
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(output).suffix, "raw")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")),
        *("record", "--pid", str(os.getpid()), "--rate", "250", "--nonblocking"),
        *("--format", fmt, "--output", output),
    )
    await asyncio.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
        progress(f"profile of the pipeline written to {output}")


async def started_worker(
    dsn: str, bootstrap: str, in_topic: str, out_topic: str, fetch_wait_ms: int, **options: Any
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """The sample's copy stage (and its relay) running in this process, its consumers joined;
    set the event to stop it, then await the task."""
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(
        run_worker(
            dsn,
            bootstrap,
            in_topic,
            out_topic,
            stop=stop,
            ready=ready,
            downstream=False,
            fetch_max_wait_ms=fetch_wait_ms,
            **options,
        )
    )
    await ready.wait()
    return stop, worker


async def pipeline(
    bootstrap: str,
    dsn: str,
    in_topic: str,
    out_topic: str,
    records: list,
    profile: str | None = None,
    fetch_wait_ms: int = 100,
) -> tuple[float, float]:
    """The inputs are on ``in_topic`` already (as the raw stages had theirs); the worker has
    joined its group; the clock runs until every outbound event is published. Returns the
    seconds taken and the CPU seconds this process used meanwhile (the kit runs in it).
    With ``profile``, py-spy samples this process meanwhile (see :func:`profiled`)."""
    n = len(records)
    await produce_all(bootstrap, in_topic, records)
    conn = await asyncpg.connect(dsn)
    # py-spy attaches before the worker starts: every event is consumed while it samples
    async with profiled(profile):
        stop, worker = await started_worker(dsn, bootstrap, in_topic, out_topic, fetch_wait_ms)
        try:
            t0, cpu0 = time.perf_counter(), time.process_time()
            while True:
                published = published_count(out_topic)
                if published >= n:
                    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                    break
                progress(f"pipeline: {published}/{n} published")
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await worker
    try:
        counts = await effect_counts(conn)
        assert counts["distinct_effects"] == n == counts["effects"], counts
    finally:
        await conn.close()
    return elapsed, cpu


async def plain_loop(
    bootstrap: str, dsn: str, in_topic: str, out_topic: str, records: list, batch: int = 1000
) -> tuple[float, float]:
    """The same job as the kit's pipeline written by hand, without the kit: a second raw bound.

    Plain aiokafka + asyncpg + json: consume a batch (getmany), in one transaction record the
    event ids in the inbox (dedup), the effects and the outbox rows, then produce the outbound
    records and wait for their acks, delete the published outbox rows (as the kit's relay
    does) and commit the offsets.
    Same input on a topic of its own, same tables, same end condition as ``pipeline``."""
    n = len(records)
    await produce_all(bootstrap, in_topic, records)
    consumer = drill.reader(bootstrap, in_topic, "bench-plain", max_partition_fetch_bytes=4_194_304)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await consumer.start()
    await producer.start()
    conn = await asyncpg.connect(dsn)
    try:
        published = 0
        t0, cpu0 = time.perf_counter(), time.process_time()
        while published < n:
            got = await consumer.getmany(timeout_ms=500, max_records=batch)
            recs = [r for rs in got.values() for r in rs]
            if not recs:
                continue
            events = [json.loads(r.value) for r in recs]
            outs = []
            for ev in events:
                out = dict(ev, id=str(uuid.uuid4()), source="/vn/00/plain", causationid=ev["id"])
                outs.append((ev["subject"], out["id"], json.dumps(out).encode()))
            async with conn.transaction():
                fresh = {
                    row[0]
                    for row in await conn.fetch(
                        "INSERT INTO inbox (consumer, event_id, event_type, topic, partition,"
                        " \"offset\") SELECT 'plain', * FROM unnest($1::text[], $2::text[],"
                        " $3::text[], $4::int[], $5::bigint[]) ON CONFLICT DO NOTHING"
                        " RETURNING event_id",
                        [e["id"] for e in events],
                        [e["type"] for e in events],
                        [r.topic for r in recs],
                        [r.partition for r in recs],
                        [r.offset for r in recs],
                    )
                }
                keep = [i for i, e in enumerate(events) if e["id"] in fresh]
                await conn.execute(
                    "INSERT INTO sample_effects (event_id, subject)"
                    " SELECT * FROM unnest($1::text[], $2::text[])",
                    [events[i]["id"] for i in keep],
                    [events[i]["subject"] for i in keep],
                )
                seqs = [
                    row[0]
                    for row in await conn.fetch(
                        "INSERT INTO outbox (event_id, topic, key, value)"
                        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])"
                        " RETURNING seq",
                        [outs[i][1] for i in keep],
                        [out_topic] * len(keep),
                        [outs[i][0] for i in keep],
                        [outs[i][2] for i in keep],
                    )
                ]
            futures = [
                await producer.send(out_topic, value=outs[i][2], key=outs[i][0].encode())
                for i in keep
            ]
            await asyncio.gather(*futures)
            await conn.execute("DELETE FROM outbox WHERE seq = ANY($1::bigint[])", seqs)
            await consumer.commit()
            published += len(seqs)
            progress(f"plain loop: {published}/{n} published")
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        counts = await effect_counts(conn)
        assert counts["distinct_effects"] == n == counts["effects"], counts
        return elapsed, cpu
    finally:
        await conn.close()
        await producer.stop()
        await consumer.stop()


async def pipeline_processes(
    bootstrap: str,
    dsn: str,
    in_topic: str,
    out_topic: str,
    records: list,
    workers: int,
    fetch_wait_ms: int = 100,
) -> float:
    """The same pipeline in ``workers`` processes of one consumer group (as a service scaled
    out to several replicas; one of them wins the relay's leadership). Timed from the first
    input handled (the database's clock) to the last outbound record published (its
    timestamp, this machine's clock), so process start-up and the group's join are not
    counted."""
    n = len(records)
    await produce_all(bootstrap, in_topic, records)
    command = [
        *("-m", "egov_devkit.sample", "worker", "--dsn", dsn, "--bootstrap", bootstrap),
        *("--in-topic", in_topic, "--out-topic", out_topic),
        *("--no-downstream", "--fetch-wait-ms", str(fetch_wait_ms)),
    ]
    procs = [await asyncio.create_subprocess_exec(sys.executable, *command) for _ in range(workers)]
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            _handled, published = await handled_and_published(conn)
            if published >= n:
                break
            progress(f"pipeline x{workers}: {published}/{n} published")
            await asyncio.sleep(0.2)
        first: float = await conn.fetchval(
            "SELECT extract(epoch FROM min(processed_at))::float8 FROM inbox"
        )
        elapsed = await last_record_time(bootstrap, out_topic, n) - first
        counts = await effect_counts(conn)
        assert counts["distinct_effects"] == n == counts["effects"], counts
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await proc.wait()
        await conn.close()
    return float(elapsed)


async def latency(
    bootstrap: str, dsn: str, rate: int, seconds: float, fetch_wait_ms: int = 100
) -> list[float]:
    """End-to-end latency at ``rate`` events/s offered: input produced → its outbound event
    read. The copy stage runs in a worker process of its own, as a service does; the load and
    the measuring reader run here, as other systems would (sharing one event loop with them
    measured this process's queue, not the kit's)."""
    in_topic, out_topic = (
        f"bench.lat.{uuid.uuid4().hex[:8]}.in",
        f"bench.lat.{uuid.uuid4().hex[:8]}.out",
    )
    await create_topics(bootstrap, in_topic, out_topic)
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "egov_devkit.sample", "worker", "--dsn", dsn, "--bootstrap", bootstrap),
        *("--in-topic", in_topic, "--out-topic", out_topic, "--no-downstream"),
        *("--fetch-wait-ms", str(fetch_wait_ms)),
    )
    reader = drill.reader(
        bootstrap,
        out_topic,
        "bench-lat",
        # The measuring reader must add no wait of its own: the local broker holds a fetch for
        # its whole max wait although records arrived (aiokafka's default is 500 ms, which put
        # ~130 ms into the median here); Apache Kafka answers at the first record anyway.
        fetch_max_wait_ms=LOCAL_BROKER_FETCH_WAIT_MS,
    )
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await producer.start()
    try:
        await _until_served(producer, reader, in_topic)
        return await _offered(producer, reader, in_topic, rate, seconds)
    finally:
        worker.terminate()
        await worker.wait()
        await producer.stop()
        await reader.stop()


async def broker_hop(bootstrap: str, rate: int, seconds: float) -> list[float]:
    """The raw anchor of the latency figures: one hop through the broker alone (produced →
    read, the same events, producer and reader as the pipeline's measurement) at the same
    offered rate. The pipeline's path holds two such hops: the input to the worker, the
    relay's record to the reader."""
    topic = f"bench.hop.{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, topic)
    reader = drill.reader(
        bootstrap, topic, "bench-hop", fetch_max_wait_ms=LOCAL_BROKER_FETCH_WAIT_MS
    )
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await producer.start()
    try:
        await _until_served(producer, reader, topic)
        return await _offered(producer, reader, topic, rate, seconds, of=lambda e: e.id)
    finally:
        await producer.stop()
        await reader.stop()


async def _until_served(producer: AIOKafkaProducer, reader: Any, in_topic: str) -> None:
    """Offer an event every half second until one comes back: the worker has started and
    joined its group (seconds on the local broker), and the reader reads the output."""
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        value, headers = encode(new_event(sample_data(0), source="/vn/38/bench", subject="W"))
        await producer.send_and_wait(in_topic, value=value, key=b"W", headers=headers)
        if any((await reader.getmany(timeout_ms=500)).values()):
            return
        progress("latency: waiting for the worker process")
    raise RuntimeError("the worker process served nothing in 120 s")


async def _offered(
    producer: AIOKafkaProducer,
    reader: Any,
    in_topic: str,
    rate: int,
    seconds: float,
    of: Callable[[CloudEvent], str | None] = lambda e: e.causationid,
) -> list[float]:
    """Offer ``rate`` events/s for ``seconds``; the latency of each, until the reader reads
    the event ``of`` names it (by default, the event it caused)."""
    sent: dict[str, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)

    async def offer() -> None:
        t0 = time.perf_counter()
        for i in range(total):
            ev = new_event(sample_data(i), source="/vn/38/bench", subject=f"L-{i % 97}")
            value, headers = encode(ev)
            sent[ev.id] = time.perf_counter()
            await producer.send(in_topic, value=value, key=ev.subject.encode(), headers=headers)
            delay = t0 + (i + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await producer.flush()

    offering = asyncio.create_task(offer())
    deadline = time.perf_counter() + seconds + 60
    while len(latencies) < total and time.perf_counter() < deadline:
        for recs in (await reader.getmany(timeout_ms=200)).values():
            now = time.perf_counter()
            for r in recs:
                cause = of(decode(r.value, r.headers))
                if cause in sent:
                    latencies.append((now - sent.pop(cause)) * 1000)
        if len(latencies) % 2000 < 50:
            progress(f"latency: {len(latencies)}/{total} measured")
    await offering
    return latencies


def _percentiles(lat: list[float]) -> str:
    return (
        f"p50={pct(lat, 50):.1f} ms p95={pct(lat, 95):.1f} ms p99={pct(lat, 99):.1f} ms"
        f" max={max(lat):.1f} ms (n={len(lat)})"
    )


def cpu_model() -> str:
    """The processor's name as Linux gives it (the figures depend on it)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "processor unknown"


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1] if len(values) > 1 else 0.0


STAGES = ("raw", "pipeline", "plain", "latency", "workers")


@dataclass
class Round:
    """One round's raw stages and pipeline, seconds (0: not run)."""

    t_produce: float = 0.0
    t_consume: float = 0.0
    t_copy: float = 0.0
    t_pipe: float = 0.0
    cpu_pipe: float = 0.0

    def serial(self, n: int) -> float | None:
        raw = self.t_produce + self.t_consume + self.t_copy
        return n / raw if raw and self.t_produce and self.t_consume and self.t_copy else None

    def ratio(self, n: int) -> float:
        serial = self.serial(n)
        return n / self.t_pipe / serial if serial and self.t_pipe else 0.0

    def summary(self, n: int) -> str:
        parts = []
        if (serial := self.serial(n)) is not None:
            parts.append(f"raw serial bound {serial:,.0f} ev/s")
        if self.t_pipe:
            parts.append(
                f"kit pipeline {n / self.t_pipe:,.0f} ev/s, {self.cpu_pipe / n * 1e6:.0f} µs CPU"
                " an event"
            )
        if self.ratio(n):
            parts.append(f"ratio {self.ratio(n):.2f}")
        return "; ".join(parts)


def _median_round(rounds: list[Round], n: int) -> Round:
    """The round of the median ratio (of the median pipeline, or raw bound, when only one of
    them ran): its figures are printed together, as measured together."""

    def key(r: Round) -> float:
        if all(x.ratio(n) for x in rounds):
            return r.ratio(n)
        return r.t_pipe or r.t_produce + r.t_consume + r.t_copy

    return sorted(rounds, key=key)[len(rounds) // 2]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument(
        "--rates",
        default="500,1000",
        help="offered rates for the latency percentiles, ev/s, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="offered for each rate")
    parser.add_argument("--workers", type=int, default=2, help="processes of the scaled-out run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the raw stages and the pipeline measured in turn this many times; each round's"
        " ratio is printed and the median round's figures (a profile runs one round)",
    )
    parser.add_argument(
        "--fetch-wait-ms",
        type=int,
        help="the workers' consumer fetch wait (consumer_fetch_max_wait_ms); default: as"
        f" `make run` sets it, {LOCAL_BROKER_FETCH_WAIT_MS} on the local broker (it holds a"
        " fetch for all of it), else the services' default, 100",
    )
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"which stages to run, comma-separated, of {','.join(STAGES)} (the profile runs"
        " only the pipeline)",
    )
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="sample the kit's pipeline stage with py-spy into PATH (.svg: flame graph,"
        " .json: speedscope, else collapsed stacks)",
    )
    args = parser.parse_args()
    stages = set(args.stages.split(","))
    if unknown := stages - set(STAGES):
        parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
    rates = [int(r) for r in args.rates.split(",") if r]
    n = args.events
    async with local_env(progress) as env:
        bootstrap = env.kafka_bootstrap
        local = env.broker is not None
        fetch_wait = args.fetch_wait_ms or (LOCAL_BROKER_FETCH_WAIT_MS if local else 100)
        dsn = await env.fresh_database("bench")
        await prepare_database(dsn)
        events = make_events(n)
        records = []
        for ev in events:
            value, headers = encode(ev)
            records.append((ev.subject.encode(), value, headers))
        size = sum(len(v) for _k, v, _h in records) / n
        # The collector set as `serve` sets it for a service by default (egov_runtime.collector,
        # EGOV_<SERVICE>_GC_YOUNG_THRESHOLD), for every stage alike: what exists now is frozen,
        # the inputs (tens of thousands of events and records, kept for the whole run) with it,
        # so no collection the measured code triggers traverses them again (a cost of this
        # benchmark's heap, not of the kit's or the plain loop's).
        del events
        tune_collector()
        tag = uuid.uuid4().hex[:8]
        rate_plain = rate_pipe2 = None
        # The raw bound and the pipeline measured in turn, round after round: the machine's
        # speed drifts by a fifth from one minute to the next, and a ratio of two figures
        # taken seconds apart is what compares; the median round's figures are printed.
        rounds: list[Round] = []
        for k in range(1 if args.profile else args.rounds):
            done = Round()
            label = f"round {k + 1}/{args.rounds}: " if args.rounds > 1 else ""
            if "raw" in stages:
                raw_topic = f"bench.{tag}.raw{k}"
                await create_topics(bootstrap, raw_topic)
                progress(f"{label}{n} events of {size:.0f} bytes; raw produce")
                done.t_produce = await produce_all(bootstrap, raw_topic, records)
                progress(f"{label}raw consume")
                done.t_consume = await consume_all(bootstrap, raw_topic, n)
                progress(f"{label}raw COPY")
                done.t_copy = await copy_all(dsn, records)
            if "pipeline" in stages:
                progress(f"{label}pipeline")
                in_topic, out_topic = f"bench.{tag}.in{k}", f"bench.{tag}.out{k}"
                await create_topics(bootstrap, in_topic, out_topic)
                pipe_dsn = dsn
                if k:  # a database of its own a round: the pipeline's effects are counted
                    pipe_dsn = await env.fresh_database("bench")
                    await prepare_database(pipe_dsn)
                done.t_pipe, done.cpu_pipe = await pipeline(
                    bootstrap, pipe_dsn, in_topic, out_topic, records, args.profile, fetch_wait
                )
            rounds.append(done)
            if args.rounds > 1:
                progress(f"{label}{done.summary(n)}")
        median = _median_round(rounds, n)
        serial = median.serial(n)
        rate_pipe = n / median.t_pipe if median.t_pipe else None
        t_produce, t_consume, t_copy = median.t_produce, median.t_consume, median.t_copy
        t_pipe, cpu_pipe = median.t_pipe, median.cpu_pipe
        if "plain" in stages:
            progress("plain aiokafka + asyncpg loop")
            plain_dsn = await env.fresh_database("bench_plain")
            await prepare_database(plain_dsn)
            plain_in, plain_out = f"bench.{tag}.plain.in", f"bench.{tag}.plain.out"
            await create_topics(bootstrap, plain_in, plain_out)
            t_plain, cpu_plain = await plain_loop(
                bootstrap, plain_dsn, plain_in, plain_out, records
            )
            rate_plain = n / t_plain
        lats: dict[int, list[float]] = {}
        hops: dict[int, list[float]] = {}
        if "latency" in stages:
            for rate in rates:
                progress(f"latency at {rate} ev/s offered")
                lat_dsn = await env.fresh_database("bench_latency")
                await prepare_database(lat_dsn)
                lats[rate] = await latency(bootstrap, lat_dsn, rate, args.seconds, fetch_wait)
                hops[rate] = await broker_hop(bootstrap, rate, args.seconds)
        # last: the other stages run before extra processes and their consumer group exist
        if "workers" in stages:
            progress(f"pipeline in {args.workers} worker processes")
            dsn2 = await env.fresh_database("bench_workers")
            await prepare_database(dsn2)
            in2, out2 = f"bench.{tag}.in2", f"bench.{tag}.out2"
            await create_topics(bootstrap, in2, out2)
            rate_pipe2 = n / await pipeline_processes(
                bootstrap, dsn2, in2, out2, records, args.workers, fetch_wait
            )
        when = datetime.now(VN_TZ).isoformat(timespec="seconds")
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"egov-events runtime benchmark ({when}, {n} events, {size:.0f} B each)")
        print(f"machine: {os.cpu_count()} cores ({cpu_model()}), load average {load} (1/5/15 min)")
        broker = "the local broker (tansu)" if local else bootstrap
        print(f"broker: {broker}; the workers' consumer fetch wait {fetch_wait} ms")
        if serial is not None:
            print(f"raw produce (aiokafka)          {n / t_produce:>10,.0f} ev/s")
            print(f"raw consume (aiokafka + json)   {n / t_consume:>10,.0f} ev/s")
            print(f"raw COPY (asyncpg)              {n / t_copy:>10,.0f} rows/s")
            print(f"raw serial bound                {serial:>10,.0f} ev/s")
        if rate_pipe is not None:
            print(
                f"kit pipeline (effectively-once) {rate_pipe:>10,.0f} ev/s"
                f"   (its process on CPU {cpu_pipe / t_pipe:.0%} of the time,"
                f" {cpu_pipe / n * 1e6:.0f} µs CPU an event)"
            )
        if rate_plain is not None:
            print(
                f"plain loop (aiokafka + asyncpg) {rate_plain:>10,.0f} ev/s"
                f"   (its process on CPU {cpu_plain / t_plain:.0%} of the time,"
                f" {cpu_plain / n * 1e6:.0f} µs CPU an event)"
            )
        if rate_pipe is not None and serial is not None:
            ratios = ", ".join(f"{r.ratio(n):.2f}" for r in rounds)
            each = f"   (the median of the rounds' {ratios})" if len(rounds) > 1 else ""
            print(f"ratio pipeline / raw serial     {median.ratio(n):>10.2f}{each}")
        if rate_pipe is not None and rate_plain is not None:
            print(f"ratio pipeline / plain loop     {rate_pipe / rate_plain:>10.2f}")
        if rate_pipe2 is not None:
            print(f"kit pipeline, {args.workers} processes       {rate_pipe2:>10,.0f} ev/s")
            if serial is not None:
                print(f"ratio ({args.workers} processes) / serial   {rate_pipe2 / serial:>10.2f}")
        for rate, lat in lats.items():
            if lat:
                print(f"latency at {rate:>5} ev/s offered: {_percentiles(lat)}")
            if hops.get(rate):
                print(f"  one broker hop alone (raw)    : {_percentiles(hops[rate])}")


if __name__ == "__main__":
    asyncio.run(main())
