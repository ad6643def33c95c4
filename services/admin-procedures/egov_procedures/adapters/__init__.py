"""Adapters of admin-procedures: PostgreSQL stores (asyncpg)."""
