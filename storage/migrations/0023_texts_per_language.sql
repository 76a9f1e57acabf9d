-- A response's or a question's words in each of the deployment's required languages
-- ([responses] languages). The default language's words stay in responses.text / asks.text
-- as well, so what reads one text reads it as before.
CREATE TABLE response_texts (
    response_id INTEGER NOT NULL REFERENCES responses (id),
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    -- Who wrote these words: the provider's person, or a moderator who added them.
    author BIGINT NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (response_id, language)
);

CREATE TABLE ask_texts (
    ask_id INTEGER NOT NULL REFERENCES asks (id),
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    author BIGINT NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (ask_id, language)
);

-- A response still waiting for a required language (a moderator adds it): nothing reaches
-- citizens until it has them all. NULL once published.
ALTER TABLE responses ADD COLUMN waiting_since TEXT;

-- Drafts, rebuilt for two new kinds (a moderator adding a response's or a question's words
-- in a language it lacks: 'response_text', 'ask_text'; ref_id says which, status the
-- language) and `texts`: the words a staff member wrote in the other required languages
-- while writing, as JSON {"cy": "..."}; a language given null is left to a moderator.
CREATE TABLE drafts_new (
    author BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('response', 'question', 'invitation', 'relay',
        'response_text', 'ask_text')),
    provider_id TEXT NOT NULL,
    service_slug TEXT,
    theme_id TEXT,
    item_id INTEGER,
    period_start TEXT,
    period_end TEXT,
    status TEXT,
    ref_id INTEGER,
    created_at TEXT NOT NULL,
    text TEXT,
    texts TEXT,
    PRIMARY KEY (author, chat_id)
);
INSERT INTO drafts_new (author, chat_id, kind, provider_id, service_slug, theme_id, item_id,
    period_start, period_end, status, ref_id, created_at, text)
    SELECT author, chat_id, kind, provider_id, service_slug, theme_id, item_id, period_start,
        period_end, status, ref_id, created_at, text FROM drafts;
DROP TABLE drafts;
ALTER TABLE drafts_new RENAME TO drafts;
