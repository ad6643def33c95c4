"""Every inbound topic of every service, on the real broker: each poison record (non-UTF-8
headers, JSON nested 1,500 levels, a 4,301-digit integer, empty, binary, huge headers...) ends
as a dead letter with its reason, and the partition's next valid record is handled."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts.envelope import encode, new_event
from egov_contracts.examples import EXAMPLES
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.poison import POISON, TOO_LARGE_LIMIT
from egov_devkit.testing.service import running_alone
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.auth import credential_header, issue_token
from egov_runtime.consumer import IdempotentConsumer
from egov_runtime.service import ServiceSpec

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "spec", [PROCEDURES, INDICATORS, NOMINATIONS, NOTIFIER], ids=lambda s: s.name
)
async def test_poison_on_every_inbound_topic_is_dead_lettered_and_the_partition_moves(
    spec: ServiceSpec, kafka_bootstrap, postgres_admin_dsn
):
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        spec,
        consumer_max_record_bytes=TOO_LARGE_LIMIT,
        consumer_max_attempts=2,
        demo_dossiers=0,  # the catalogue of the seed, not its thousands of reports to wait for
        demo_people=10,
    ) as svc:
        if spec.seed is not None:  # the demo's reference data, so a valid record can apply
            await spec.seed(svc.runtime)
        consumers: list[IdempotentConsumer] = svc.app.state.consumers
        inbound = {(c, t) for c in consumers for t in c.sub.topics}
        assert inbound, f"{spec.name} has no inbound topic"
        one_door = issue_token(
            svc.settings.jwt_secret.get_secret_value(),
            subject="one-door",
            roles=["integration"],
            unit_code=svc.settings.province_code,
        )
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=0)
        await producer.start()
        poison_at: dict[tuple[str, int], str] = {}
        last: dict[str, int] = {}
        try:
            for _consumer, topic in sorted(inbound, key=lambda ct: ct[1]):
                example = next((e for e in EXAMPLES if e.topic == topic), EXAMPLES[0])
                for p in POISON:
                    md = await producer.send_and_wait(
                        topic, value=p.value, key=b"POISON", headers=p.headers, partition=0
                    )
                    poison_at[(topic, md.offset)] = p.name
                ev = new_event(example, source="/vn/38/poison-test", subject="POISON-NEXT")
                v, h = encode(ev)
                h.append(credential_header(one_door))  # inbound reports carry a credential
                md = await producer.send_and_wait(
                    topic, value=v, key=b"POISON", headers=h, partition=0
                )
                last[topic] = md.offset
        finally:
            await producer.stop()

        def moved() -> bool:
            return all((c.stats.committed.get((t, 0)) or 0) > last[t] for c, t in inbound)

        await wait_for(moved, timeout=60, message="every inbound partition moved")
        assert not any(c.restarts for c in consumers)
        async with svc.runtime.pool.acquire() as conn:
            rows = await conn.fetch(
                'SELECT topic, "offset", reason, consumer, error FROM dead_letters'
            )
    got = {(r["consumer"], r["topic"], r["offset"]): r["reason"] for r in rows}
    for c, topic in inbound:
        for (t, offset), name in poison_at.items():
            if t != topic:
                continue
            reason = got.get((c.sub.name, t, offset))
            expected = next(p for p in POISON if p.name == name).reasons
            assert reason in expected, (c.sub.name, t, name, reason)
        errors = {(r["consumer"], r["topic"], r["offset"]): r["error"] for r in rows}
        assert (c.sub.name, topic, last[topic]) not in got, errors.get(
            (c.sub.name, topic, last[topic])
        )
