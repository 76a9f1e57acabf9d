-- The author of items kept after their author asked to be forgotten: nobody.
INSERT INTO citizens (id, telegram_id, created_at) VALUES (0, 0, '1970-01-01T00:00:00.000000+00:00')
    ON CONFLICT (id) DO NOTHING;

-- 1 for an approved item whose author was forgotten without keeping it: its texts are gone,
-- but it still counts (so past digests keep their numbers) and is never quoted or exported.
ALTER TABLE feedback ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
-- When the original text was removed by the retention job (the approved version stays).
ALTER TABLE feedback ADD COLUMN original_removed_at TEXT;
CREATE INDEX feedback_created ON feedback (created_at);
