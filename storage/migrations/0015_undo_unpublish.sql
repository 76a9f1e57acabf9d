-- A moderator's decision can be taken back for a short while (undo), and a published item
-- withdrawn later (status 'withdrawn'; digests already sent stay as they were).

-- Until when the card offers "Undo"; cleared once the card has been drawn without it.
ALTER TABLE feedback ADD COLUMN undo_until TEXT;
-- The author was told an outcome that was then undone: they are told it is being checked
-- again (once), and hear the new outcome in the ordinary way.
ALTER TABLE feedback ADD COLUMN correction_due INTEGER NOT NULL DEFAULT 0;
-- Why a published item was withdrawn: a reason key from a card, or a moderator's words.
ALTER TABLE feedback ADD COLUMN withdrawn_reason TEXT;
CREATE INDEX feedback_undo ON feedback (undo_until) WHERE undo_until IS NOT NULL;
CREATE INDEX feedback_correction ON feedback (id) WHERE correction_due = 1;
