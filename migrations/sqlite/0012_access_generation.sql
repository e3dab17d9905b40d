-- A counter that every change to grants and clients raises: API processes compare it with the
-- one their cached callers were read at, so a new grant or a revocation takes effect at once in
-- every process (a CLI change included).
CREATE TABLE access_generation (
    id  INTEGER PRIMARY KEY,
    n   BIGINT NOT NULL
);
INSERT INTO access_generation (id, n) VALUES (1, 0);
