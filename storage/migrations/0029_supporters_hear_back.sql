-- Whether a supporter hears back on the item they support. "Me too" always does; the author
-- of an item a moderator merged into it does only if they asked to hear back on their own.
ALTER TABLE supporters ADD COLUMN hear_back INTEGER NOT NULL DEFAULT 1;
