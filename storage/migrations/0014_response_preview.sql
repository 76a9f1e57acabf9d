-- A response is previewed before it is sent: the words wait in the draft until "Send".
ALTER TABLE drafts ADD COLUMN text TEXT;

-- Where the moderators' card of a response is, so hiding it elsewhere updates the card.
ALTER TABLE responses ADD COLUMN card_chat BIGINT;
ALTER TABLE responses ADD COLUMN card_message BIGINT;
