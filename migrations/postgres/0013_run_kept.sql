-- Keys of a full extract whose new rows were all quarantined: kept at their previous version, or
-- withdrawn (`on_quarantined_key = "withdraw"`); counted per run for the reports.
ALTER TABLE runs ADD COLUMN kept_previous BIGINT;
ALTER TABLE runs ADD COLUMN withdrawn BIGINT;
