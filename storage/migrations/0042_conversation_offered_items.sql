-- The items a conversation's "me too" offers named (ids, comma-separated, every offer of the
-- conversation): only those can be joined from it (a forged button names any other).
ALTER TABLE conversations ADD COLUMN offered_items TEXT;
-- The message showing its latest offer (in the citizen's private chat): drawn again without
-- an item whose author erases its words.
ALTER TABLE conversations ADD COLUMN offer_message BIGINT;
