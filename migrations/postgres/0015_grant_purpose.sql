-- Purpose-bound grants on personal data: the purpose beside the legal basis, an explicit flag
-- for sensitive fields, and how each field is delivered (masked or pseudonymized) as JSON
-- `{"field": "last4" | "initials" | "year" | "pseudonym"}`.
ALTER TABLE grants ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN sensitive BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN protect TEXT;
