-- Tries that failed to post a voice note or photo under its card (the network, a 5xx from
-- Telegram): a moderation sweep tries it again, up to as many tries as a card has, then no
-- more (a note under the card says so). Counted afresh when the card is posted anew.
ALTER TABLE media ADD COLUMN post_failures INTEGER NOT NULL DEFAULT 0;
