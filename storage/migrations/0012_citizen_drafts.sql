-- Words a citizen wrote before their conversation went quiet without a service chosen: kept
-- (seen by nobody but them) and offered back at their next /start, to carry on or drop.
-- Erased by /forget, and by retention like other original texts.
CREATE TABLE citizen_drafts (
    citizen_id INTEGER PRIMARY KEY REFERENCES citizens (id),
    text TEXT NOT NULL,
    written_at TEXT NOT NULL
);
CREATE INDEX citizen_drafts_written ON citizen_drafts (written_at);
