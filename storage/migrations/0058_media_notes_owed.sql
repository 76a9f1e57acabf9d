-- The note telling a citizen that the wordless album they sent just after "Saved as #N"
-- joined #N, when its sending met a passing fault (Telegram's 5xx, a flood wait, the
-- network): owed, and told by a later round of the answer-again job, once. It goes when
-- told, with the item, and with its citizen's /forget.
CREATE TABLE media_notes_owed (
    feedback_id INTEGER NOT NULL PRIMARY KEY REFERENCES feedback (id) ON DELETE CASCADE,
    citizen_id INTEGER NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    note TEXT NOT NULL,
    -- The item's photos when they joined, and how many of the album found no room.
    photos INTEGER NOT NULL,
    photos_left INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    owed_at TEXT NOT NULL
);
