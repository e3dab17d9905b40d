-- Change events: webhook subscriptions of consuming clients, the durable outbox of events
-- (CloudEvents, one row per event, its id deterministic), and each event's delivery to each
-- subscription with its attempts (retried with backoff; `dead` after the last).
CREATE TABLE event_subscriptions (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients(id),
    url         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE TABLE event_deliveries (
    event_id        TEXT NOT NULL REFERENCES events(id),
    subscription_id TEXT NOT NULL REFERENCES event_subscriptions(id),
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_at         TEXT NOT NULL,
    last_error      TEXT,
    delivered_at    TEXT,
    PRIMARY KEY (event_id, subscription_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (status, next_at);
