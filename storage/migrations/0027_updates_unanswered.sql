-- Updates whose effect was committed and whose answer was not yet sent keep their chat until
-- it is (storage/updates.py: claim, mark_handled, unanswered); a crash in between leaves a few
-- such rows, found here (by chat, or all of them) without reading every handled update.
CREATE INDEX updates_unanswered ON updates (chat_key, handled_at)
    WHERE chat_key <> 0 AND handled_at IS NOT NULL;
