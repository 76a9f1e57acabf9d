-- An item published before a moderator merged it into another: who published it and when,
-- so that released (the other item unpublished) it is published again as it was, not put
-- back in the queue to be decided twice (and shown in a second digest).
ALTER TABLE feedback ADD COLUMN published_when_merged TEXT;
