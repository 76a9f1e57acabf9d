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
-- The text providers may read: redacted (and maybe edited) by a moderator; NULL until approved.
ALTER TABLE feedback ADD COLUMN published_text TEXT;
-- What redaction suggested: {"text": ..., "spans": [...]}, as JSON.
ALTER TABLE feedback ADD COLUMN suggestion TEXT;
ALTER TABLE feedback ADD COLUMN reject_reason TEXT;
ALTER TABLE feedback ADD COLUMN moderated_by BIGINT;
ALTER TABLE feedback ADD COLUMN moderated_at TEXT;
-- The item's card in the moderators' chat; NULL until it has been posted.
ALTER TABLE feedback ADD COLUMN card_chat_id BIGINT;
ALTER TABLE feedback ADD COLUMN card_message_id BIGINT;
-- Whether the author has been told the outcome.
ALTER TABLE feedback ADD COLUMN author_told_at TEXT;
CREATE INDEX feedback_uncarded ON feedback (id) WHERE card_message_id IS NULL;

-- A moderator who pressed "edit" and is expected to send the corrected text.
CREATE TABLE pending_edits (
    moderator BIGINT PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    version INTEGER NOT NULL,
    prompt_chat_id BIGINT NOT NULL,
    prompt_message_id BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
