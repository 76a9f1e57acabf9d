-- When the moderators were last reminded of items waiting too long: kept here, not in one
-- process's memory, so that a restart or another instance taking over the scheduled work
-- does not remind them again within the reminder's period. One row at most; none while
-- nothing is overdue (the next overdue item is then reminded of at once).
CREATE TABLE moderation_reminder (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    reminded_at TEXT NOT NULL
);
