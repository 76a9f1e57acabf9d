-- One item never blocks the others: each card is tried on its own, with backoff, and a card
-- whose sending is in doubt is never sent twice blindly.

-- How many times posting the card failed, when to try again, and why it last failed.
ALTER TABLE feedback ADD COLUMN card_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feedback ADD COLUMN card_retry_at TEXT;
ALTER TABLE feedback ADD COLUMN card_error TEXT;
-- Set just before the card is sent; a card with this set and no message id may be in the
-- chat already (Telegram took it but answered too late), so it is not sent again unasked.
ALTER TABLE feedback ADD COLUMN card_sending_at TEXT;
-- 1 when the item is shown in a message listing several new items (many were waiting).
ALTER TABLE feedback ADD COLUMN card_batched INTEGER NOT NULL DEFAULT 0;
CREATE INDEX feedback_card_message ON feedback (card_message_id) WHERE card_batched = 1;
