-- A forgotten citizen's yes/no to a response, kept as a bare figure for the evidence of
-- value (their outbox rows go with them): which response, the answer and when, nothing of
-- who. `person` is a number drawn for each erasure, so that one person's answers still
-- count as one person's; it leads to no one. Past reports keep their numbers, as erased
-- items still count in digests.
CREATE TABLE erased_replies (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    reply TEXT NOT NULL CHECK (reply IN ('yes', 'no')),
    replied_at TEXT NOT NULL,
    person INTEGER NOT NULL
);
CREATE INDEX erased_replies_at ON erased_replies (replied_at);
