"""Alembic's migrations of the clinic-bot schema, one history for SQLite and PostgreSQL.

Run by `storage.migrate` (no alembic.ini): `env.py` takes the connection from
`config.attributes["connection"]`. A migration is never edited once released.
"""
