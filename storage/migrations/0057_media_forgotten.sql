-- Photos that went with their author's /forget (their ids only: nothing of the photo, nor
-- whose it was). A copy of one the bot posted twice under its card is recorded nowhere, so
-- /forget cannot find it; pressed later, it is taken down, and where Telegram no longer lets
-- the bot delete it, its caption says why it went: the author asked, not its age.
CREATE TABLE media_forgotten (
    media_id INTEGER NOT NULL PRIMARY KEY,
    forgotten_at TEXT NOT NULL
);
