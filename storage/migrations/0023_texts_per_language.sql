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

-- The words a staff member wrote in the other required languages while writing, as JSON
-- {"cy": "..."}; a language given null is left to a moderator.
ALTER TABLE drafts ADD COLUMN texts TEXT;
