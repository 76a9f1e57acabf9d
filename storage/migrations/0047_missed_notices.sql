-- A time-out notice saying a citizen's words were saved as an item (#N) that could not reach
-- them (they had blocked the bot, or their chat was not found): told once when they are
-- back (they write, or let the bot in again), then gone. Erased with them by /forget.
CREATE TABLE missed_notices (
    feedback_id INTEGER NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES citizens (id),
    -- "metoo" when it went quiet at a "me too" list (their words became a new item), else "".
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (feedback_id)
);
CREATE INDEX missed_notices_citizen ON missed_notices (citizen_id);
