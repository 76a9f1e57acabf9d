-- Which messages carrying a photo are copies a provider asked for (/photo N), not the photo
-- under its card: those leave the provider's chat when a moderator keeps the photo back or
-- undoes the item's approval (the one under the card stays, its buttons with it).
ALTER TABLE media_messages ADD COLUMN given INTEGER NOT NULL DEFAULT 0;
-- Copies sent before: /photo N answers in a private chat, a card never is in one.
UPDATE media_messages SET given = 1 WHERE chat_id > 0;
