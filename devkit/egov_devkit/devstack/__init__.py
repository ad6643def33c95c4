"""The local stack: broker, PostgreSQL, the four services, demo data (``make run``)."""
