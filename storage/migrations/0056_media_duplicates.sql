-- Copies of a photo taken back as one too many under its card (posted twice: Telegram took a
-- sendPhoto but answered after the bot stopped waiting). Remembered after the copy is gone,
-- so that a press Telegram sent from it before it went is never taken to make it the photo's
-- copy again (the press decides the photo, shown on the copy that stays). A row goes with
-- its media row.
CREATE TABLE media_duplicates (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX media_duplicates_media ON media_duplicates (media_id);
