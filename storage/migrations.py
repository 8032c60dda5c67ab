"""Schema versions of the SQLite database, applied in order at start.

The applied version lives in `PRAGMA user_version`; a migration is never edited
once released, a new one is appended instead.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: users, requests, reviews, the manager-chat outbox, forms in progress.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        locale TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL,
        locale TEXT NOT NULL,
        service_id TEXT,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        preferred_time TEXT NOT NULL,
        complaint TEXT,
        consent_version TEXT NOT NULL,
        consented_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        created_at TEXT NOT NULL
    );
    CREATE INDEX requests_user ON requests (user_id);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER,
        author TEXT,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        text TEXT,
        locale TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reviews_status ON reviews (status, id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        ref_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        thread_id INTEGER,
        text TEXT NOT NULL,
        reply_markup TEXT,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        message_id INTEGER,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox (status, id);
    CREATE TABLE fsm (
        key TEXT PRIMARY KEY,
        state TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: the managers' side: request statuses with history, moderation, links between
    # patients and the messages about them in the manager chat, forum topics, bans.
    """
    CREATE TABLE request_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id INTEGER NOT NULL REFERENCES requests (id),
        status TEXT NOT NULL,
        staff_id INTEGER NOT NULL,
        staff_name TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX request_events_request ON request_events (request_id, id);
    ALTER TABLE reviews ADD COLUMN moderated_by TEXT;
    ALTER TABLE reviews ADD COLUMN moderated_at TEXT;
    ALTER TABLE outbox ADD COLUMN patient_id INTEGER;
    ALTER TABLE outbox ADD COLUMN thread_under_patient INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN copy_chat_id INTEGER;
    ALTER TABLE outbox ADD COLUMN copy_message_id INTEGER;
    CREATE TABLE manager_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        patient_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ref_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX manager_messages_patient ON manager_messages (patient_id, chat_id, message_id);
    CREATE TABLE patients (
        user_id INTEGER PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        topic_id INTEGER,
        banned_by INTEGER,
        banned_at TEXT
    );
    """,
    # 3: staff tools and patients' data rights: audit trail, consents, erasure marks.
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        staff_id INTEGER NOT NULL,
        staff_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE consents (
        user_id INTEGER NOT NULL,
        version TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (user_id, version)
    );
    ALTER TABLE requests ADD COLUMN erased_at TEXT;
    ALTER TABLE reviews ADD COLUMN erased_at TEXT;
    CREATE INDEX requests_status ON requests (status, id);
    CREATE INDEX requests_created ON requests (created_at)
    """,
    # 4: the manager chat's send log, so that pacing holds across processes and restarts.
    """
    CREATE TABLE send_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX send_log_chat ON send_log (chat_id, at)
    """,
    # 5: /stats reads the reviews of a period through an index, not the whole table.
    """
    CREATE INDEX reviews_created ON reviews (created_at)
    """,
)
