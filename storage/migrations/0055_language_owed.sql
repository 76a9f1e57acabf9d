-- A newcomer whose first message was an album without words: the language question is
-- asked a couple of seconds after its last photo, by a job held in memory, while the
-- album's updates are already handled. A row here says it is still owed, so that a
-- restart in between (the job lost) still asks it, once; it goes when asked or chosen.
CREATE TABLE language_owed (
    telegram_id BIGINT NOT NULL PRIMARY KEY,
    language_code TEXT,
    owed_at TEXT NOT NULL
);
