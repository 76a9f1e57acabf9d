-- Groups that became supergroups: Telegram gives the supergroup a new id, and calls on the
-- old one fail. The deployment file names the id it was given; every instance reads here
-- where that group is now (chained, if it moved twice).
CREATE TABLE chat_moves (
    old_chat_id BIGINT PRIMARY KEY,
    new_chat_id BIGINT NOT NULL,
    moved_at TEXT NOT NULL
);
