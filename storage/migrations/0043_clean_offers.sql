-- A third reason to take a message back: 'offer', a citizen's "me too" offer quoting words
-- their author erased (drawn again while it waits). The table rebuilt for its CHECK.
CREATE TABLE messages_to_clean_next (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    queued_at TEXT NOT NULL,
    -- Why: 'forget' (the author asked), 'retention' (kept no longer), 'offer' (see above).
    reason TEXT NOT NULL DEFAULT 'forget' CHECK (reason IN ('forget', 'retention', 'offer')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (chat_id, message_id)
);
INSERT INTO messages_to_clean_next (chat_id, message_id, queued_at, reason, attempts, next_at, error)
    SELECT chat_id, message_id, queued_at, reason, attempts, next_at, error FROM messages_to_clean;
DROP TABLE messages_to_clean;
ALTER TABLE messages_to_clean_next RENAME TO messages_to_clean;
CREATE INDEX messages_to_clean_due ON messages_to_clean (next_at);
