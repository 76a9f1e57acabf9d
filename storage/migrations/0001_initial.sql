-- Citizens are an internal id and the Telegram id, nothing else: no names, no usernames.
CREATE TABLE citizens (
    id INTEGER PRIMARY KEY,
    telegram_id BIGINT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- 'yes' or 'no' once asked whether they would like to be involved; NULL until then.
    involve TEXT,
    -- Numbers each conversation, so buttons from an earlier one can be told apart.
    conversation_seq INTEGER NOT NULL DEFAULT 0
);

-- Every consent decision, with the version of the text the citizen was shown.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    version TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('given', 'declined')),
    decided_at TEXT NOT NULL
);
CREATE INDEX consents_citizen ON consents (citizen_id, id);

-- Mirrors the deployment file; kept so feedback keeps its service after a rename.
CREATE TABLE services (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0
);

-- The id is the reference number a citizen is given (#N).
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    service_slug TEXT NOT NULL REFERENCES services (slug),
    text TEXT NOT NULL,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    hear_back INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX feedback_citizen ON feedback (citizen_id, id);
CREATE INDEX feedback_status ON feedback (status, created_at);

-- A conversation in progress: where the citizen is and what they have said so far.
CREATE TABLE conversations (
    citizen_id INTEGER PRIMARY KEY REFERENCES citizens (id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    service_slug TEXT,
    text TEXT,
    rating INTEGER,
    hear_back INTEGER,
    page INTEGER NOT NULL DEFAULT 0,
    nudged INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_idle ON conversations (updated_at);

-- Every update received from Telegram (processed updates). The payload is kept, with
-- names removed, only until the update is handled: an update saved here is confirmed to
-- Telegram, and one not yet handled when the bot stops is handled after it restarts.
CREATE TABLE updates (
    update_id BIGINT PRIMARY KEY,
    payload TEXT,
    received_at TEXT NOT NULL,
    handled_at TEXT
);
CREATE INDEX updates_unhandled ON updates (update_id) WHERE handled_at IS NULL;
CREATE INDEX updates_handled ON updates (handled_at);
