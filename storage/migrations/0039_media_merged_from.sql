-- The item a photo belonged to before a merge moved it to the item merged into: if that item
-- is unpublished, the merged items go back to the queue and their photos with them.
ALTER TABLE media ADD COLUMN merged_from INTEGER;
