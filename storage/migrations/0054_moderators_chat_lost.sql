-- When the admins and moderators were told in private that the moderators' group refuses
-- the bot for good (removed from it, the group gone, not allowed to post) while items wait:
-- told once while that lasts, whichever instance finds it, also after a restart. One row at
-- most, naming the group it was about; it goes once the group is reached again (a reminder
-- or a card gets there, the bot is added back), so the next time is told again.
CREATE TABLE moderators_chat_lost (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    chat_id BIGINT NOT NULL,
    told_at TEXT NOT NULL
);
