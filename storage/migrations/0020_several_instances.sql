-- Leases: one row per name, held by one instance until a moment of the database's clock
-- (seconds since 1970). "scheduler" says which instance runs the scheduled work; each
-- instance also holds "instance:<its id>" while it is alive, so work it claimed is left
-- alone until it is gone.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until REAL NOT NULL
);

-- Who claimed a message that is leaving (an instance id): after a crash only the claims of
-- instances that are gone are settled, never those of one still sending.
ALTER TABLE digest_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

-- One sending budget per bot token across instances (PostgreSQL): the next free moment of
-- each limit ("all", "chat:<id>"), on the database's clock; a send reserves one and waits.
CREATE TABLE send_slots (
    key TEXT PRIMARY KEY,
    next_at REAL NOT NULL
);

-- When a citizen was offered their kept words back, and the service their link named: a
-- typed "yes" or "no" answers that offer, whichever instance handles it.
ALTER TABLE citizen_drafts ADD COLUMN offered_at TEXT;
ALTER TABLE citizen_drafts ADD COLUMN offered_slug TEXT;
