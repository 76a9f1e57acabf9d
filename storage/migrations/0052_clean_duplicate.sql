-- A fifth reason to take a message back: 'duplicate', a second copy of a photo under its
-- card (Telegram took a sendPhoto but answered after the bot stopped waiting, and the bot
-- sent it again): a moderator pressed one copy, the other goes; where it can only be
-- edited, it says so rather than that photos are kept for a limited time.
-- The table rebuilt for its CHECK.
CREATE TABLE messages_to_clean_0052 (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    queued_at TEXT NOT NULL,
    -- Why: 'forget' (the author asked), 'retention' (kept no longer), 'offer' (a "me too"
    -- offer quoting erased words), 'unshared' (a provider's copy of a photo taken back),
    -- 'duplicate' (see above).
    reason TEXT NOT NULL DEFAULT 'forget'
        CHECK (reason IN ('forget', 'retention', 'offer', 'unshared', 'duplicate')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (chat_id, message_id)
);
INSERT INTO messages_to_clean_0052 (chat_id, message_id, queued_at, reason, attempts, next_at, error)
    SELECT chat_id, message_id, queued_at, reason, attempts, next_at, error FROM messages_to_clean;
DROP TABLE messages_to_clean;
ALTER TABLE messages_to_clean_0052 RENAME TO messages_to_clean;
CREATE INDEX messages_to_clean_due ON messages_to_clean (next_at);
