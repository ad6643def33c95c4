"""Kafka plumbing: producer factory and topic declarations applied by a command.

The same settings work on Apache Kafka and on the local Kafka-protocol broker: the idempotent
producer is a setting (``kafka_idempotence``), on in production, off locally where the broker
does not implement it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from egov_contracts.topics import Topic

from egov_runtime.settings import ServiceSettings


def client_security(settings: ServiceSettings) -> dict[str, Any]:
    """The aiokafka options for the broker's security (none on a PLAINTEXT listener)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
    if protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise ValueError(f"{protocol} needs kafka_sasl_username and kafka_sasl_password")
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    return options


def make_producer(settings: ServiceSettings, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_security(settings),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=settings.kafka_linger_ms,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        max_batch_size=1_048_576,
    )


def topic_configs(topic: Topic, min_insync_replicas: int | None = None) -> dict[str, str]:
    configs = {"cleanup.policy": "compact" if topic.compacted else "delete"}
    if topic.retention_ms is not None:
        configs["retention.ms"] = str(topic.retention_ms)
    if min_insync_replicas is not None:  # with acks=all, writes need this many replicas
        configs["min.insync.replicas"] = str(min_insync_replicas)
    return configs


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[Topic],
    *,
    partitions: int | None = None,
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create the declared topics that do not exist yet; returns the names created. Existing
    topics are left as they are (their replication is changed with Kafka's own tools)."""
    if replication_factor < 1 or (
        min_insync_replicas is not None and not 1 <= min_insync_replicas <= replication_factor
    ):
        raise ValueError(
            f"replication factor {replication_factor} and min.insync.replicas "
            f"{min_insync_replicas}: need 1 <= min.insync.replicas <= replication factor"
        )
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="egov-topics", **(client_options or {})
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=t.name,
                num_partitions=partitions or t.partitions,
                replication_factor=replication_factor,
                topic_configs=topic_configs(t, min_insync_replicas),
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
