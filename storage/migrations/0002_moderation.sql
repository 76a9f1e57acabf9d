-- Staff: moderators and providers' people, granted by invitation. Admins come from the
-- deployment file. A display name is kept for staff (not for citizens) so that cards and
-- the audit log can say who did what.
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    telegram_id BIGINT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('moderator', 'provider')),
    provider_id TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    granted_by BIGINT,
    granted_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX staff_active ON staff (telegram_id, role, provider_id) WHERE revoked_at IS NULL;

-- One-time, expiring invitations: the token is the deep link's payload.
CREATE TABLE invitations (
    token TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('moderator', 'provider')),
    provider_id TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by BIGINT,
    used_at TEXT
);

-- Every moderation and role action: who, what, when, before and after.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor BIGINT,
    actor_role TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    before TEXT,
    after TEXT
);
CREATE INDEX audit_at ON audit (at);

-- Moderation of each item. `version` changes with every action, so a button pressed on an
-- out-of-date card (or by a second moderator at the same moment) does nothing.
ALTER TABLE feedback ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- What the theme model and redaction made of the text, once they have run.
ALTER TABLE feedback ADD COLUMN tagged_at TEXT;
ALTER TABLE feedback ADD COLUMN kind TEXT;
-- The text with personal details replaced by placeholders, and what was found (JSON).
ALTER TABLE feedback ADD COLUMN redacted_text TEXT;
ALTER TABLE feedback ADD COLUMN redactions TEXT;
-- The text as a moderator corrected it (NULL if they did not).
ALTER TABLE feedback ADD COLUMN edited_text TEXT;
-- The text providers may read: set when a moderator approves; NULL otherwise.
ALTER TABLE feedback ADD COLUMN published_text TEXT;
ALTER TABLE feedback ADD COLUMN reject_reason TEXT;
ALTER TABLE feedback ADD COLUMN moderated_by BIGINT;
ALTER TABLE feedback ADD COLUMN moderated_at TEXT;
-- The item's card in the moderators' chat; NULL until it has been posted.
ALTER TABLE feedback ADD COLUMN card_chat_id BIGINT;
ALTER TABLE feedback ADD COLUMN card_message_id BIGINT;
-- Whether the author has been told the outcome.
ALTER TABLE feedback ADD COLUMN author_told_at TEXT;
CREATE INDEX feedback_untagged ON feedback (id) WHERE tagged_at IS NULL;
CREATE INDEX feedback_uncarded ON feedback (id) WHERE card_message_id IS NULL;

-- The themes of each item: from the rules, the model, or a moderator. A theme a moderator
-- removed stays, inactive, so corrections can be exported as training data.
CREATE TABLE item_themes (
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    theme_id TEXT NOT NULL,
    score REAL NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    evidence TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (feedback_id, theme_id)
);

-- A moderator who pressed "edit" and is expected to send the corrected text.
CREATE TABLE pending_edits (
    moderator BIGINT PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    version INTEGER NOT NULL,
    prompt_chat_id BIGINT NOT NULL,
    prompt_message_id BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
