-- Records are partitioned by dataset, one partition each (named records_ and the first 16 hex
-- digits of the dataset name's SHA-256). A dataset's first load is copied into a table of its
-- own without an index; its primary key is built once the rows are in, and the table becomes
-- the dataset's partition in the transaction that makes the version current
-- (src/store/pg_stage.rs). Records of a dataset without a partition go to records_default (a
-- restore makes every dataset's partition first). Existing records move to their dataset's
-- partition here.
ALTER TABLE records RENAME TO records_before_partitions;
ALTER TABLE records_before_partitions RENAME CONSTRAINT records_pkey TO records_before_partitions_pkey;

CREATE TABLE records (
    dataset     TEXT COLLATE "C" NOT NULL,
    record_key  TEXT COLLATE "C" NOT NULL,
    row_hash    TEXT NOT NULL,
    data        TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT,
    PRIMARY KEY (dataset, record_key, valid_from)
) PARTITION BY LIST (dataset);

CREATE TABLE records_default PARTITION OF records DEFAULT;

DO $$
DECLARE
    d TEXT;
BEGIN
    FOR d IN SELECT DISTINCT dataset FROM records_before_partitions LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF records FOR VALUES IN (%L)',
                       'records_' || left(encode(sha256(convert_to(d, 'UTF8')), 'hex'), 16), d);
    END LOOP;
END $$;

INSERT INTO records (dataset, record_key, row_hash, data, valid_from, valid_to)
    SELECT dataset, record_key, row_hash, data, valid_from, valid_to FROM records_before_partitions;
DROP TABLE records_before_partitions;
