-- The conversation an item was told in (citizens.conversation_seq then): a photo with
-- nothing being told joins the item just saved only while no conversation has begun since
-- (a "me too" on someone else's item, or a new report given up, is not that item). NULL for
-- items from before, and for those not told in a conversation.
ALTER TABLE feedback ADD COLUMN conversation_seq INTEGER;
