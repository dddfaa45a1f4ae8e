-- The audit log as a Merkle tree (docs/audit.md): each entry's position in the log (`seq`,
-- from 0), the salt of its details' commitment and its leaf hash. Rows written before this
-- migration receive them at the next start, before the first checkpoint is signed.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN salt TEXT;
ALTER TABLE audit_log ADD COLUMN leaf_hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

-- Signed checkpoints of the log: its size, its root (hex) and the signed note as published.
CREATE TABLE audit_checkpoints (
    size        BIGINT  PRIMARY KEY,
    root        TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
