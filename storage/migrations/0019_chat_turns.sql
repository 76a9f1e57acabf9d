-- Several instances take updates from one webhook: each saved update names its chat, and
-- a chat's turn (held by one instance at a time, with a lease it renews while it works)
-- says who handles that chat's updates now, in update_id order.
-- Updates saved before this migration (and those without a chat) share the key 0.
ALTER TABLE updates ADD COLUMN chat_key INTEGER NOT NULL DEFAULT 0;
CREATE INDEX updates_chat_pending ON updates (chat_key, update_id) WHERE handled_at IS NULL;

CREATE TABLE chat_turns (
    chat_key INTEGER NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    until TEXT NOT NULL
);
CREATE INDEX chat_turns_owner ON chat_turns (owner);

-- What the webhook was last set to (a fingerprint of its URL, secret and options), so
-- that only the instance that changes this row calls setWebhook.
CREATE TABLE webhook_setting (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    set_at TEXT NOT NULL
);
