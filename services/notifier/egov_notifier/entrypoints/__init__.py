"""Entrypoints of the notifier: Kafka consumers and the HTTP API."""
