"""Schema versions of the PostgreSQL database, applied in order at start.

Applied versions are rows of `schema_version`; `PostgresRepository.open` applies the missing
ones under an advisory lock, each in its own transaction (PostgreSQL's DDL is
transactional), so that several bot processes starting together migrate once. A migration
is never edited once released, a new one is appended instead.

Version 1 is the whole schema of SQLite's versions 1-3 (`storage/migrations.py`), with
PostgreSQL's types: BIGINT for Telegram ids, TIMESTAMPTZ for times, and the outbox lease
columns that let several instances drain the outbox at once.
"""

from __future__ import annotations

MIGRATION_LOCK = 0x636C696E6963_01
"""Key of the session advisory lock held while migrating ("clinic" + 1)."""

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL
)
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: everything of SQLite's versions 1-3, plus the outbox lease for several instances.
    """
    CREATE TABLE users (
        id BIGINT PRIMARY KEY,
        locale TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE requests (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id BIGINT NOT NULL,
        locale TEXT NOT NULL,
        service_id TEXT,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        preferred_time TEXT NOT NULL,
        complaint TEXT,
        consent_version TEXT NOT NULL,
        consented_at TIMESTAMPTZ NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        created_at TIMESTAMPTZ NOT NULL,
        erased_at TIMESTAMPTZ
    );
    CREATE INDEX requests_user ON requests (user_id);
    CREATE INDEX requests_status ON requests (status, id);
    CREATE INDEX requests_created ON requests (created_at);
    CREATE TABLE reviews (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id BIGINT,
        author TEXT,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        text TEXT,
        locale TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        moderated_by TEXT,
        moderated_at TIMESTAMPTZ,
        erased_at TIMESTAMPTZ
    );
    CREATE INDEX reviews_status ON reviews (status, id);
    CREATE INDEX reviews_user ON reviews (user_id);
    CREATE INDEX reviews_created ON reviews (created_at);
    CREATE TABLE outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind TEXT NOT NULL,
        ref_id BIGINT NOT NULL,
        chat_id BIGINT NOT NULL,
        thread_id BIGINT,
        text TEXT NOT NULL,
        reply_markup TEXT,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMPTZ NOT NULL,
        last_error TEXT,
        message_id BIGINT,
        created_at TIMESTAMPTZ NOT NULL,
        sent_at TIMESTAMPTZ,
        patient_id BIGINT,
        thread_under_patient BOOLEAN NOT NULL DEFAULT FALSE,
        copy_chat_id BIGINT,
        copy_message_id BIGINT,
        -- The instance delivering the row and until when; NULL while nobody holds it.
        lease_owner TEXT,
        lease_until TIMESTAMPTZ
    );
    CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
    CREATE INDEX outbox_ref ON outbox (kind, ref_id);
    CREATE INDEX outbox_patient ON outbox (patient_id);
    CREATE TABLE fsm (
        key TEXT PRIMARY KEY,
        state TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE request_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        request_id BIGINT NOT NULL REFERENCES requests (id),
        status TEXT NOT NULL,
        staff_id BIGINT NOT NULL,
        staff_name TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX request_events_request ON request_events (request_id, id);
    CREATE TABLE manager_messages (
        chat_id BIGINT NOT NULL,
        message_id BIGINT NOT NULL,
        patient_id BIGINT NOT NULL,
        kind TEXT NOT NULL,
        ref_id BIGINT NOT NULL,
        text TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX manager_messages_patient ON manager_messages (patient_id, chat_id, message_id);
    CREATE INDEX manager_messages_ref ON manager_messages (kind, ref_id);
    CREATE TABLE patients (
        user_id BIGINT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        topic_id BIGINT,
        banned_by BIGINT,
        banned_at TIMESTAMPTZ
    );
    CREATE TABLE audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        staff_id BIGINT NOT NULL,
        staff_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE consents (
        user_id BIGINT NOT NULL,
        version TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (user_id, version)
    );
    """,
    # 2: the manager chat's send log, so that pacing holds across processes.
    """
    CREATE TABLE send_log (
        id BIGSERIAL PRIMARY KEY,
        chat_id BIGINT NOT NULL,
        at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX send_log_chat ON send_log (chat_id, at);
    """,
)
