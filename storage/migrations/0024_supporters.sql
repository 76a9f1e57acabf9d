-- "Me too": a citizen who said an already published item is what they meant supports it
-- (counted with it, hears back on it like its author); nothing else of theirs is stored.
CREATE TABLE supporters (
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (feedback_id, citizen_id)
);

CREATE INDEX supporters_citizen ON supporters (citizen_id);
