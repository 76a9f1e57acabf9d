-- Items merged into an item unpublished or rejected before such an item released what was
-- merged into it (stop 37): counted nowhere since. Back to the queue, each to be decided on
-- its own, with a new card (their old one said "merged"), their photos with them (those a
-- merge moved, as migration 0039 could tell: `merged_from`).
UPDATE media SET feedback_id = merged_from, merged_from = NULL,
    card_chat_id = NULL, card_message_id = NULL, posting_since = NULL
WHERE kind = 'photo' AND merged_from IN (
    SELECT f.id FROM feedback f JOIN feedback t ON f.withdrawn_reason = '#' || t.id
    WHERE f.status = 'merged' AND t.status IN ('withdrawn', 'rejected')
);
UPDATE feedback SET status = 'pending', withdrawn_reason = NULL, published_text = NULL,
    reject_reason = NULL, moderated_by = NULL, moderated_at = NULL, undo_until = NULL,
    author_told_at = NULL, version = version + 1, card_chat_id = NULL, card_message_id = NULL,
    card_batched = 0, card_sending_at = NULL, card_attempts = 0, card_error = NULL,
    card_retry_at = NULL
WHERE status = 'merged' AND withdrawn_reason IN (
    SELECT '#' || t.id FROM feedback t WHERE t.status IN ('withdrawn', 'rejected')
);
