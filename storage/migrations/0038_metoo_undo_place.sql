-- The place the citizen gave with words they joined to an item: an undo brings it back with
-- the words (else a service's site question would be skipped and the item saved without it).
-- As `places`: a site, a point (rounded unless `exact`), both, or neither.
ALTER TABLE metoo_undo ADD COLUMN site TEXT;
ALTER TABLE metoo_undo ADD COLUMN latitude REAL;
ALTER TABLE metoo_undo ADD COLUMN longitude REAL;
ALTER TABLE metoo_undo ADD COLUMN exact INTEGER NOT NULL DEFAULT 0;
