-- The theme model learns from moderators: the kind the model gave an item is kept beside
-- the kind a moderator set, so both are known (training data, and how often it was right).

-- The kind the model gave (NULL for items tagged before this: their `kind` is the model's
-- until a moderator changes it, and the first change copies it here).
ALTER TABLE feedback ADD COLUMN model_kind TEXT;
-- How sure the model was of that kind, 0 to 1 (NULL when not known).
ALTER TABLE feedback ADD COLUMN kind_score REAL;
-- Who set the kind on the card, and when; NULL while the model's kind stands.
ALTER TABLE feedback ADD COLUMN kind_set_by BIGINT;
ALTER TABLE feedback ADD COLUMN kind_set_at TEXT;
-- When a person last switched a theme of an item on or off (NULL: as the model gave it).
-- `source` keeps who suggested the theme first, so a model's theme a moderator removed is
-- known as both.
ALTER TABLE item_themes ADD COLUMN set_at TEXT;
-- Finding the items a person corrected, for exporting them as training data.
CREATE INDEX item_themes_corrected ON item_themes (feedback_id)
    WHERE set_at IS NOT NULL OR source IN ('moderator', 'citizen');
CREATE INDEX feedback_kind_set ON feedback (id) WHERE kind_set_at IS NOT NULL;
