-- A citizen's voice note or photo (issue 17). While the citizen is still telling, it belongs
-- to their conversation (feedback_id NULL, conversation_seq says which); saved with the item,
-- it belongs to the item.
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    citizen_id INTEGER NOT NULL,
    conversation_seq INTEGER NOT NULL,
    feedback_id INTEGER REFERENCES feedback (id),
    -- 'voice' or 'photo'
    kind TEXT NOT NULL,
    -- A voice note: Telegram's file_id (Telegram keeps the audio, the bot never stores it);
    -- NULL once it is no longer needed (transcribed and approved, past retention, /forget).
    file_id TEXT,
    duration INTEGER NOT NULL DEFAULT 0,
    -- A photo: the cleaned bytes (re-encoded JPEG, without EXIF or GPS).
    data BLOB,
    -- A draft transcript from the deployment's speech-to-text engine.
    transcript TEXT,
    -- Photos: 'pending' until a moderator approves ('approved') or keeps it back ('rejected').
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by BIGINT,
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX media_feedback ON media (feedback_id);
CREATE INDEX media_citizen ON media (citizen_id, conversation_seq);
