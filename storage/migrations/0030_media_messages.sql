-- Where a voice note or photo was posted for staff (under its card in the moderators' chat),
-- so that retention takes the message back with the media (/forget takes back every message
-- of the citizen through staff_messages). A row goes with its media row.
CREATE TABLE media_messages (
    id INTEGER PRIMARY KEY,
    media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL
);
CREATE UNIQUE INDEX media_messages_message ON media_messages (chat_id, message_id);
CREATE INDEX media_messages_media ON media_messages (media_id);
