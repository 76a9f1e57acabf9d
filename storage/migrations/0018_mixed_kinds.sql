-- Mixed feedback: the other kinds the model found beside the main one ("the crew are lovely
-- but they never come on time" is a compliment and a complaint), as a JSON list; NULL or
-- '[]' when there is only the one.
ALTER TABLE feedback ADD COLUMN also_kinds TEXT;
