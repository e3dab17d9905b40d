-- Record keys compare byte by byte (the "C" collation), as SQLite compares them: a first load
-- inserts millions of keys into the primary key's index, and under a locale's collation every
-- comparison goes through the locale's rules (several times slower, and an order no consumer
-- relies on: keys are codes). The index is rebuilt once, here.
ALTER TABLE records
    ALTER COLUMN dataset TYPE TEXT COLLATE "C",
    ALTER COLUMN record_key TYPE TEXT COLLATE "C";
