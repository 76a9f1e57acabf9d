-- Everyone the deployment file has named as an admin at some start. Each admin's command
-- menu is set in their own chat: one taken out of the file must have it set back to the
-- citizen's at the next start, also one who never acted as an admin (and so is in no
-- audit row).
CREATE TABLE admins_seen (
    telegram_id BIGINT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
