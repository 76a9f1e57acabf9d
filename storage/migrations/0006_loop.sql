-- Closing the loop: providers' responses, what is sent to citizens, questions and invitations.

-- A provider's answer to a theme of one service over a period (it covers every item of
-- that theme then), or to one item. Published at once; a moderator may hide it.
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    provider_id TEXT NOT NULL,
    service_slug TEXT NOT NULL REFERENCES services (slug),
    -- Exactly one of theme_id (with its period) and item_id is set.
    theme_id TEXT,
    item_id INTEGER REFERENCES feedback (id),
    period_start TEXT,
    period_end TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('acknowledged', 'in_progress', 'changed', 'not_changing')),
    text TEXT NOT NULL,
    -- The provider's person who wrote it (staff, not a citizen).
    author BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    -- "In progress": when to ask the provider for an update, and when it was asked.
    follow_up_at TEXT,
    follow_up_asked_at TEXT,
    hidden_at TEXT,
    hidden_by BIGINT
);
CREATE INDEX responses_subject ON responses (service_slug, theme_id, created_at);
CREATE INDEX responses_follow_up ON responses (follow_up_at) WHERE follow_up_asked_at IS NULL;

-- The items a response covers, fixed when it is published.
CREATE TABLE response_items (
    response_id INTEGER NOT NULL REFERENCES responses (id),
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    PRIMARY KEY (response_id, feedback_id)
);
CREATE INDEX response_items_item ON response_items (feedback_id, response_id);

-- Messages to citizens: a response, a question, an invitation. One row per message and
-- citizen, unique, so nobody gets the same one twice. A row in 'sending' when the bot died
-- is taken as sent (never twice).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('response', 'question', 'invitation')),
    ref_id INTEGER NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    -- The citizen's item this message is about (responses), for the text they read.
    feedback_id INTEGER,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'cancelled')),
    created_at TEXT NOT NULL,
    sent_at TEXT,
    message_id BIGINT,
    error TEXT,
    -- What the citizen answered: 'yes'/'no' to a response, 'accepted'/'declined' to an
    -- invitation.
    reply TEXT,
    replied_at TEXT,
    UNIQUE (kind, ref_id, citizen_id)
);
CREATE INDEX outbox_pending ON outbox (state, id);
CREATE INDEX outbox_citizen ON outbox (citizen_id);

-- A provider's question to citizens, or an invitation to get involved, about one service.
-- A moderator approves it before it goes out.
CREATE TABLE asks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('question', 'invitation')),
    provider_id TEXT NOT NULL,
    service_slug TEXT NOT NULL REFERENCES services (slug),
    text TEXT NOT NULL,
    author BIGINT NOT NULL,
    -- Where the author asked from, to tell them the outcome.
    author_chat BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'proposed'
        CHECK (state IN ('proposed', 'approved', 'rejected')),
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by BIGINT,
    card_chat_id BIGINT,
    card_message_id BIGINT
);

-- What a citizen who accepted an invitation chose to share with the provider. Kept only
-- here, only with that consent, and erased by /forget.
CREATE TABLE acceptances (
    id INTEGER PRIMARY KEY,
    ask_id INTEGER NOT NULL REFERENCES asks (id),
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    share TEXT NOT NULL CHECK (share IN ('name', 'relay')),
    first_name TEXT,
    username TEXT,
    created_at TEXT NOT NULL,
    told_at TEXT,
    UNIQUE (ask_id, citizen_id)
);

-- Services a citizen asked not to be sent questions or invitations about.
CREATE TABLE ask_optouts (
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    service_slug TEXT NOT NULL,
    PRIMARY KEY (citizen_id, service_slug)
);

-- A staff member writing something in a chat (a response, a question, an invitation, a
-- message to a citizen): what it is about, until their text arrives.
CREATE TABLE drafts (
    author BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('response', 'question', 'invitation', 'relay')),
    provider_id TEXT NOT NULL,
    service_slug TEXT,
    theme_id TEXT,
    item_id INTEGER,
    period_start TEXT,
    period_end TEXT,
    status TEXT,
    ref_id INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (author, chat_id)
);

-- A citizen's item may comment on a response they received, or answer a question.
ALTER TABLE feedback ADD COLUMN response_id INTEGER;
ALTER TABLE feedback ADD COLUMN ask_id INTEGER;
-- A conversation may be a comment on a response or an answer to a question.
ALTER TABLE conversations ADD COLUMN response_id INTEGER;
ALTER TABLE conversations ADD COLUMN ask_id INTEGER;
