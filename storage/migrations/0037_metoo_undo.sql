-- A "me too" that can still be undone: the words the citizen wrote before they joined an
-- item saying the same, kept so that "Undo" brings them back as their own report. One per
-- citizen (the latest join); gone once undone, when the undo window ends (the clean job),
-- and on /forget.
CREATE TABLE metoo_undo (
    citizen_id INTEGER PRIMARY KEY REFERENCES citizens (id),
    feedback_id INTEGER NOT NULL,
    service_slug TEXT NOT NULL,
    text TEXT NOT NULL,
    joined_at TEXT NOT NULL
);
