"""/readyz tells when a consumer is stuck on a batch or restarting in a loop, and which one."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts.envelope import encode, new_event
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_alone
from egov_runtime.consumer import IdempotentConsumer, Incoming, Subscription, Tx
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration


def blocking_spec(topic: str, release: asyncio.Event) -> ServiceSpec:
    """A service whose one consumer holds each batch until ``release`` is set."""

    async def handler(tx: Tx, items: list[Incoming]) -> None:
        await release.wait()

    def wire(rt: Runtime) -> Wiring:
        return Wiring(subscriptions=[Subscription("held", (topic,), handler)])

    return ServiceSpec(
        name="readiness", settings_cls=ServiceSettings, migrations=None, routers=(), wire=wire
    )


async def readyz(svc) -> tuple[int, dict]:
    answer = await svc.client.get("/readyz")
    return answer.status_code, answer.json()


async def test_a_consumer_without_progress_makes_readyz_fail_until_it_moves(
    kafka_bootstrap, postgres_admin_dsn, make_topic, sample_data
):
    topic = await make_topic("held", partitions=1)
    release = asyncio.Event()
    spec = blocking_spec(topic, release)
    async with running_alone(
        kafka_bootstrap, postgres_admin_dsn, spec, consumer_stuck_after_s=0.5
    ) as svc:
        await wait_for(lambda: readyz_ok(svc), timeout=30, message="ready")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            v, h = encode(new_event(sample_data(1), source="/x", subject="S"))
            await producer.send_and_wait(topic, value=v, headers=h, partition=0)
        finally:
            await producer.stop()

        async def stuck() -> dict | None:
            status, body = await readyz(svc)
            return body if status == 503 else None

        body = await wait_for(stuck, timeout=30, message="readyz reports the stuck consumer")
        assert body["status"] == "not-ready"
        why = body["checks"]["consumers"]
        assert why.startswith("readiness.held stuck: no progress on") and f"{topic}[0]@0" in why
        assert body["checks"]["database"] == "ok"
        release.set()
        (consumer,) = svc.app.state.consumers
        await wait_for(lambda: consumer.stats.committed.get((topic, 0)) == 1, timeout=30)
        assert await readyz_ok(svc)


async def readyz_ok(svc) -> bool:
    status, _ = await readyz(svc)
    return status == 200


async def test_a_consumer_restarting_in_a_loop_makes_readyz_fail(
    kafka_bootstrap, postgres_admin_dsn, make_topic, sample_data, monkeypatch
):
    topic = await make_topic("looping", partitions=1)
    release = asyncio.Event()
    release.set()
    spec = blocking_spec(topic, release)
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        spec,
        consumer_restart_backoff_s=0.01,
        consumer_max_restarts=1,
    ) as svc:
        await wait_for(lambda: readyz_ok(svc), timeout=30, message="ready")
        (consumer,) = svc.app.state.consumers
        assert isinstance(consumer, IdempotentConsumer)

        async def crash(good, dead, stop):  # what an escaping decode error used to do
            raise RecursionError("maximum recursion depth exceeded")

        monkeypatch.setattr(consumer, "_process", crash)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            v, h = encode(new_event(sample_data(1), source="/x", subject="S"))
            await producer.send_and_wait(topic, value=v, headers=h, partition=0)
        finally:
            await producer.stop()

        async def looping() -> dict | None:
            status, body = await readyz(svc)
            return body if status == 503 else None

        body = await wait_for(looping, timeout=60, message="readyz reports the loop")
        why = body["checks"]["consumers"]
        assert why.startswith("readiness.held looping: restarted") and "RecursionError" in why
        assert body["checks"]["workers"] == "ok"  # the task is alive: only the check tells
