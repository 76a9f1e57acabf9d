-- Digests read one provider's approved items of one period. This index makes that one range
-- scan per service, so the cost follows the items in the period, not the size of the table.
-- `status` leads although the index holds approved items only: without statistics (no
-- ANALYZE) SQLite would otherwise prefer feedback_status (status, created_at) and read every
-- approved item; with it this index is plainly the better match. Partial, to stay small;
-- partial indexes work the same in PostgreSQL.
CREATE INDEX feedback_published ON feedback (status, service_slug, moderated_at)
    WHERE status = 'approved' AND published_text IS NOT NULL;

-- An item's active themes with their scores, read from the index alone: counting themes and
-- choosing quotes then touch no item_themes table pages, which matters once the period's
-- items are scattered among millions of others.
CREATE INDEX item_themes_active ON item_themes (feedback_id, active, theme_id, score);
