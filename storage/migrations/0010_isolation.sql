-- Each message to a citizen keeps its own count of failed tries and the time of the next
-- one, so a message Telegram will not take waits alone while the others are served.
-- 'undeliverable' (was 'failed'): Telegram refused it (400: chat not found, user
-- deactivated...) several times; it is not tried again. SQLite cannot change a CHECK in
-- place, so the table is rebuilt.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('response', 'question', 'invitation')),
    ref_id INTEGER NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    -- The citizen's item this message is about (responses), for the text they read.
    feedback_id INTEGER,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'blocked', 'undeliverable', 'cancelled')),
    created_at TEXT NOT NULL,
    sent_at TEXT,
    message_id BIGINT,
    error TEXT,
    -- What the citizen answered: 'yes'/'no' to a response, 'accepted'/'declined' to an
    -- invitation.
    reply TEXT,
    replied_at TEXT,
    -- Failed tries so far, and when a 'pending' row may be tried again (NULL: now).
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    UNIQUE (kind, ref_id, citizen_id)
);
INSERT INTO outbox_new (
    id, kind, ref_id, citizen_id, feedback_id, state, created_at, sent_at, message_id, error,
    reply, replied_at
)
SELECT
    id, kind, ref_id, citizen_id, feedback_id,
    CASE state WHEN 'failed' THEN 'undeliverable' ELSE state END,
    created_at, sent_at, message_id, error, reply, replied_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (state, id);
CREATE INDEX outbox_citizen ON outbox (citizen_id);

-- Refused presses and commands of one person are folded into a few audit rows a minute
-- (with a count); finding that person's latest rows must not read the whole log.
CREATE INDEX audit_actor ON audit (actor, action, subject, at);
