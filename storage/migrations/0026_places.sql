-- Where an item happened (issue 17). While the citizen is still telling, a place belongs to
-- their conversation (feedback_id NULL, conversation_seq says which); saved with the item, it
-- belongs to the item. One per conversation: a later choice replaces it.
CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    citizen_id INTEGER NOT NULL,
    conversation_seq INTEGER NOT NULL,
    feedback_id INTEGER REFERENCES feedback (id),
    -- The service's site (its name in the deployment file), or NULL.
    site TEXT,
    -- The point: rounded to about 100 m unless `exact` (the citizen agreed); NULL for a site
    -- picked from the list, or when the citizen skipped the question.
    latitude REAL,
    longitude REAL,
    exact INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX places_conversation ON places (citizen_id, conversation_seq);
CREATE INDEX places_feedback ON places (feedback_id);
