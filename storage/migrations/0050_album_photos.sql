-- A photo of an album (a Telegram media group) sent while nothing is being told, without
-- words: kept waiting for the words of its album, which may come on a later photo (or the
-- citizen's next words), rather than refused. `album` is its media_group_id while it waits
-- (NULL once it joins a conversation, and for every other voice note or photo); such a row
-- has no item and no conversation (conversation_seq 0). `album_told`: the citizen was told
-- that the album's photos wait for their words (once an album, whichever instance tells).
ALTER TABLE media ADD COLUMN album TEXT;
ALTER TABLE media ADD COLUMN album_told INTEGER NOT NULL DEFAULT 0;
CREATE INDEX media_waiting ON media (created_at) WHERE album IS NOT NULL;
