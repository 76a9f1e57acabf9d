-- Whether a supporter hears back on the item they support: always for a "me too", and for
-- the author of an item merged into it only if they asked to hear back on their own.
ALTER TABLE supporters ADD COLUMN hear_back INTEGER NOT NULL DEFAULT 1;
