-- One digest per provider and period: the database, not the scheduler, says what was sent.
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    provider_id TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (provider_id, period_end)
);
CREATE INDEX digests_pending ON digests (state, period_end);

-- Each chat a digest goes to. `parts_done` counts the messages already delivered; a part
-- marked in flight when the bot died is taken as delivered, so nothing is sent twice.
CREATE TABLE digest_deliveries (
    digest_id INTEGER NOT NULL REFERENCES digests (id),
    chat_id BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'blocked', 'failed')),
    parts_done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error TEXT,
    sent_at TEXT,
    PRIMARY KEY (digest_id, chat_id)
);

-- From when each provider's schedule counts (its first start), so a new deployment does not
-- send digests for every period since the beginning of time.
CREATE TABLE digest_schedules (
    provider_id TEXT PRIMARY KEY,
    since TEXT NOT NULL
);

-- Chats that cannot receive messages any more (blocked the bot, removed it from a group).
CREATE TABLE unreachable_chats (
    chat_id BIGINT PRIMARY KEY,
    reason TEXT NOT NULL,
    since TEXT NOT NULL
);

-- Services a chat has unsubscribed from (by default a chat gets all its provider's services).
CREATE TABLE digest_unsubscriptions (
    chat_id BIGINT NOT NULL,
    service_slug TEXT NOT NULL,
    PRIMARY KEY (chat_id, service_slug)
);
