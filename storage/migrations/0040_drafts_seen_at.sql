-- Since when a response being written was checked against colleagues' responses to the same
-- items (its start, or when its writer was last told of one): kept through edits, languages
-- and previews, so that a colleague's response meanwhile is never missed.
ALTER TABLE drafts ADD COLUMN seen_at TEXT;
