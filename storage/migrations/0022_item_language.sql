-- Staff read every item: the language it was written in, as detected when it was tagged,
-- and a moderator's summary in the providers' language, shown beside the original.

-- The detected language (an ISO 639-1 code; 'und' when the detector was not sure; NULL for
-- items tagged before this) and how sure the detector was, 0 to 1.
ALTER TABLE feedback ADD COLUMN language TEXT;
ALTER TABLE feedback ADD COLUMN language_score REAL;
-- A moderator's summary in the deployment's default language (NULL: none), who wrote it
-- and when. Staff write it: it is kept as written (escaped where shown), not redacted.
ALTER TABLE feedback ADD COLUMN summary TEXT;
ALTER TABLE feedback ADD COLUMN summary_by BIGINT;
ALTER TABLE feedback ADD COLUMN summary_at TEXT;
-- What a moderator's next typed reply is for: 'edit' (the corrected text) or 'summary'.
ALTER TABLE pending_edits ADD COLUMN purpose TEXT NOT NULL DEFAULT 'edit';
