-- The resource pool (资源池): one member per organisation, scheme and provider type, made or
-- changed by each publication, with its whole history. `status`: active, expired (its term
-- ended: 003 三、2), removed (a spot check), revoked (fraud: 003 三、1, 002 第十一条).
CREATE TABLE pool_members (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations (id),
    scheme_id        TEXT    NOT NULL,
    provider_type    TEXT    NOT NULL DEFAULT '',   -- the type's id ('' where the scheme has none)
    type_label       TEXT    NOT NULL,
    region_id        BIGINT  NOT NULL REFERENCES regions (id),
    organization     TEXT    NOT NULL,
    credit_code      TEXT    NOT NULL,
    result           TEXT    NOT NULL,              -- 三星 … / 认定 / 入选
    stars            BIGINT,
    valid_from       TEXT    NOT NULL,
    valid_until      TEXT,                          -- none: no term set by the scheme
    status           TEXT    NOT NULL DEFAULT 'active',
    grant_id         BIGINT  NOT NULL REFERENCES published_grades (id),
    round_id         BIGINT  NOT NULL REFERENCES rounds (id),
    document_number  TEXT    NOT NULL,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (organization_id, scheme_id, provider_type)
);
CREATE INDEX pool_members_status ON pool_members (status, valid_until);

-- What happened to a member, oldest first: granted, renewed, upgraded, downgraded (by a
-- publication), expired, reminded (a renewal reminder, once per threshold and term).
CREATE TABLE pool_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id        BIGINT  NOT NULL REFERENCES pool_members (id),
    at               BIGINT  NOT NULL,
    kind             TEXT    NOT NULL,
    result           TEXT    NOT NULL DEFAULT '',
    stars            BIGINT,
    valid_until      TEXT,
    document_number  TEXT    NOT NULL DEFAULT '',
    detail           TEXT    NOT NULL DEFAULT '',
    -- `reminder:180:2029-06-30`: a reminder's threshold and term, so that a job run twice
    -- sends nothing twice.
    once_key         TEXT    UNIQUE,
    actor_id         BIGINT  REFERENCES users (id)
);
CREATE INDEX pool_events_member ON pool_events (member_id, id);
