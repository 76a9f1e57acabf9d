-- Privacy outside the database: what Telegram still shows of a citizen's words, and a record
-- of every erasure that a restored backup replays.

-- Messages the bot sent to staff carrying a citizen's words, other than an item's card
-- (whose place is in feedback): the original text sent to a moderator privately, a reply
-- relayed to a provider. Taken back from Telegram when the citizen is forgotten (and the
-- originals when retention removes them). No foreign keys: what they point at is erased.
CREATE TABLE staff_messages (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    citizen_id INTEGER NOT NULL,
    -- The item whose words it carries, if it is about one.
    feedback_id INTEGER,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX staff_messages_citizen ON staff_messages (citizen_id);
CREATE INDEX staff_messages_item ON staff_messages (feedback_id) WHERE feedback_id IS NOT NULL;

-- Messages to take back from Telegram: deleted (the bot may within 48 hours of sending) or
-- edited to a short note. Filled in the erasure's transaction; a job empties it, retrying
-- with backoff, so a restart loses none.
CREATE TABLE messages_to_clean (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    queued_at TEXT NOT NULL,
    -- Why: 'forget' (the author asked) or 'retention' (kept no longer); the note says so.
    reason TEXT NOT NULL DEFAULT 'forget' CHECK (reason IN ('forget', 'retention')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX messages_to_clean_due ON messages_to_clean (next_at);

-- Every erasure (/forget, and retention's), by internal ids only: never a Telegram id or a
-- text. A backup carries this table, so a restore knows which erasures it already holds
-- and replays the others from the live journal.
CREATE TABLE erasures (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('forget', 'originals')),
    citizen_id INTEGER,
    keep_published INTEGER NOT NULL DEFAULT 0,
    items TEXT NOT NULL DEFAULT '[]',
    at TEXT NOT NULL
)
