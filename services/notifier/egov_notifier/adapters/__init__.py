"""Adapters of the notifier: PostgreSQL store and the delivery channels."""
