-- What redaction left in an item's text but a moderator should check (a likely name, a
-- long number): a JSON list of {kind, start, end, text}, offsets in the original text.
-- Items tagged before this have none: '[]'.
ALTER TABLE feedback ADD COLUMN redaction_flags TEXT NOT NULL DEFAULT '[]';
