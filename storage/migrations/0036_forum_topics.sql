-- Moderators' and providers' groups run as forums (topics): the topic where a member of the
-- group's role last used a command, where the bot posts its own messages there (cards,
-- reminders, digests). Kept here so every instance, and the next start, posts to the same
-- place. No row: General. The chat is the id the deployment file names the group by.
CREATE TABLE forum_topics (
    chat_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    thread_id BIGINT NOT NULL,
    used_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, role)
);
