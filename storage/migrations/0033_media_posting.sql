-- The card a voice note or photo is (being) posted under in the moderators' chat, and since
-- when it is on its way there (NULL once posted). Taken compare-and-set before it is sent,
-- so that of several instances (or tasks) posting an item's media at once, one posts each
-- under a card; a taking left by an instance that died on the way is taken again later.
ALTER TABLE media ADD COLUMN card_chat_id BIGINT;
ALTER TABLE media ADD COLUMN card_message_id BIGINT;
ALTER TABLE media ADD COLUMN posting_since TEXT;
-- Media posted before: under some card already (which one was not recorded).
UPDATE media SET card_chat_id = 0, card_message_id = 0
    WHERE EXISTS (SELECT 1 FROM media_messages x WHERE x.media_id = media.id);
