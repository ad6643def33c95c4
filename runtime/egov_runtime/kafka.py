"""Kafka plumbing: producer factory and topic declarations applied by a command.

The same settings work on Apache Kafka and on the local Kafka-protocol broker: the idempotent
producer is a setting (``kafka_idempotence``), on in production, off locally where the broker
does not implement it.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from egov_contracts.topics import Topic

from egov_runtime.settings import ServiceSettings


def make_producer(settings: ServiceSettings, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=settings.kafka_linger_ms,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        max_batch_size=1_048_576,
    )


def topic_configs(topic: Topic) -> dict[str, str]:
    configs = {"cleanup.policy": "compact" if topic.compacted else "delete"}
    if topic.retention_ms is not None:
        configs["retention.ms"] = str(topic.retention_ms)
    return configs


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[Topic],
    *,
    partitions: int | None = None,
    replication_factor: int = 1,
) -> list[str]:
    """Create the declared topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="egov-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=t.name,
                num_partitions=partitions or t.partitions,
                replication_factor=replication_factor,
                topic_configs=topic_configs(t),
            )
            for t in topics
            if t.name not in existing
        ]
        created = []
        for new in wanted:  # one by one: a concurrent creator must not fail the whole batch
            try:
                await admin.create_topics([new])
                created.append(new.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()
