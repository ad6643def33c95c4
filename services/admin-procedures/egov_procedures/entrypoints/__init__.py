"""Entrypoints of admin-procedures: the HTTP API and the Kafka consumers."""
