-- The services a chat's digest counted (slugs, comma-separated), fixed when its first part
-- is built: the CSV under a digest holds that digest's items, whatever the chat switched on
-- or off since (a switch is about digests to come). NULL: not built yet, or sent before
-- this was kept (the chat's services now stand in).
ALTER TABLE digest_deliveries ADD COLUMN services TEXT;
