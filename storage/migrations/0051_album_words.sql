-- An album (a Telegram media group) whose words came, on one of its photos: its photos
-- after them have no other words to wait for (they are not kept waiting, whatever the words
-- were taken as: an item's, a comment, an answer). Written in the words' transaction, so a
-- restart or another instance knows it; pruned by the time-out job once the album is old.
CREATE TABLE album_words (
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    album TEXT NOT NULL,
    came_at TEXT NOT NULL,
    PRIMARY KEY (citizen_id, album)
);
CREATE INDEX album_words_came ON album_words (came_at);
