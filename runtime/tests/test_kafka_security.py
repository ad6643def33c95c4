"""The Kafka clients speak the production broker's security (TLS, SASL/SCRAM) from settings,
and nothing extra on a PLAINTEXT listener (the local stack)."""

from __future__ import annotations

import ssl

import pytest
from egov_runtime.kafka import client_security, make_producer
from egov_runtime.settings import ServiceSettings


def test_plaintext_adds_nothing():
    assert client_security(ServiceSettings()) == {}


async def test_sasl_over_tls_reaches_the_producer():
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="admin-procedures",
        kafka_sasl_password="s3cret",
    )
    options = client_security(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "admin-procedures"
    assert options["sasl_plain_password"] == "s3cret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    producer = make_producer(settings, client_id="t")
    assert producer.client._security_protocol == "SASL_SSL"
    assert producer.client._sasl_mechanism == "SCRAM-SHA-512"


def test_sasl_without_credentials_is_refused():
    with pytest.raises(ValueError, match="kafka_sasl_username"):
        client_security(ServiceSettings(kafka_security_protocol="SASL_SSL"))


def test_tls_alone_has_no_sasl():
    options = client_security(ServiceSettings(kafka_security_protocol="SSL"))
    assert set(options) == {"security_protocol", "ssl_context"}
