-- Whether the conversation's last question is the "me too" offer ("Is it one of these?"):
-- a number typed then may mean one of its items, not a rating (bot/intake.py, _on_text).
ALTER TABLE conversations ADD COLUMN offered INTEGER NOT NULL DEFAULT 0;
