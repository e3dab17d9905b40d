-- Consumer access: agencies, API clients (secrets hashed), grants, bearer tokens (hashed),
-- what each client last pulled, and the hash-chained audit log.
CREATE TABLE agencies (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    agency      TEXT NOT NULL REFERENCES agencies(code),
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients(id),
    dataset    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    fields     TEXT,
    until      TEXT,
    basis      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX grants_by_client ON grants (client_id);

CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients(id),
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE client_pulls (
    client_id TEXT NOT NULL,
    dataset   TEXT NOT NULL,
    version   BIGINT NOT NULL,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (client_id, dataset)
);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    agency      TEXT NOT NULL,
    action      TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    version     BIGINT,
    rows_out    BIGINT NOT NULL,
    bytes_out   BIGINT NOT NULL,
    status      BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    request_id  TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
