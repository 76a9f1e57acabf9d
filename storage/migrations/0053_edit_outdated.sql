-- An open edit (or summary) prompt whose text another moderator saved first: their Telegram
-- id. The reply to it was written against the text before theirs, so it is refused rather
-- than replace theirs unseen (NULL: nobody has).
ALTER TABLE pending_edits ADD COLUMN outdated_by BIGINT;
