-- The item a photo belonged to before a merge moved it to the item merged into: if that item
-- is unpublished, the merged items go back to the queue and their photos with them.
ALTER TABLE media ADD COLUMN merged_from INTEGER;
-- Photos merged before this column: those of another author than the item's own came with
-- that author's item merged into it.
UPDATE media SET merged_from = (
    SELECT MIN(f.id) FROM feedback f
    WHERE f.status = 'merged' AND f.withdrawn_reason = '#' || media.feedback_id
        AND f.citizen_id = media.citizen_id
)
WHERE kind = 'photo' AND feedback_id IS NOT NULL
    AND citizen_id <> (SELECT o.citizen_id FROM feedback o WHERE o.id = media.feedback_id);
