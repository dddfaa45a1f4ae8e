-- pingjia schema, SQLite. Timestamps are Unix seconds (BIGINT); flags are 0/1 BIGINT, so the
-- same queries read both backends. Migrations are only ever added, never edited.

CREATE TABLE regions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,          -- GB/T 2260 administrative division code
    name        TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent_id   BIGINT  REFERENCES regions (id),
    path        TEXT    NOT NULL                  -- '/32/3205/320583/': ancestors' codes, for subtree queries
);
CREATE INDEX regions_path ON regions (path);

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    credit_code TEXT    NOT NULL UNIQUE,          -- 统一社会信用代码, check digit verified (GB 32100)
    kind        TEXT    NOT NULL CHECK (kind IN ('enterprise', 'public_institution', 'social_organization')),
    region_id   BIGINT  NOT NULL REFERENCES regions (id),
    region_path TEXT    NOT NULL,                 -- copy of the region's path, for visibility filters
    address     TEXT    NOT NULL DEFAULT '',
    contact     TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX organizations_region_path ON organizations (region_path);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,             -- argon2id PHC string
    role            TEXT    NOT NULL CHECK (role IN ('applicant', 'county_reviewer', 'city_reviewer', 'authority_admin', 'expert', 'system_admin')),
    organization_id BIGINT  REFERENCES organizations (id),
    region_id       BIGINT  REFERENCES regions (id),
    must_change_password BIGINT NOT NULL DEFAULT 0,
    disabled        BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,              -- SHA-256 of the cookie value
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    csrf_token  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    username    TEXT    NOT NULL,
    succeeded   BIGINT  NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX login_attempts_username_at ON login_attempts (username, at);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,          -- SHA-256; the token itself is shown once
    scopes      TEXT    NOT NULL,                 -- space-separated: read write
    created_at  BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at  BIGINT
);

-- 批次: a selection round of one scheme.
CREATE TABLE rounds (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scheme_id       TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    region_id       BIGINT  REFERENCES regions (id),  -- the authority's region (省/市)
    reference_year  BIGINT,
    cutoff          TEXT,                          -- YYYY-MM-DD
    opens_on        TEXT,
    closes_on       TEXT,
    aggregation     TEXT    NOT NULL DEFAULT 'mean',
    params          TEXT    NOT NULL DEFAULT '{}', -- JSON: parameter id → value text
    created_at      BIGINT  NOT NULL
);

-- 申报: one organisation's application under one scheme (and provider type).
CREATE TABLE applications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT  NOT NULL REFERENCES organizations (id),
    scheme_id       TEXT    NOT NULL,
    provider_type   TEXT,
    round_id        BIGINT  REFERENCES rounds (id),
    state           TEXT    NOT NULL DEFAULT 'draft',
    region_path     TEXT    NOT NULL,              -- the organisation's region path when created
    created_by      BIGINT  NOT NULL REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    submitted_at    BIGINT
);
CREATE INDEX applications_org ON applications (organization_id);
CREATE INDEX applications_region_state ON applications (region_path, state);

-- Every version of a declaration. A submitted version (submitted_at set) is never changed.
CREATE TABLE declaration_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    number          BIGINT  NOT NULL,
    body            TEXT    NOT NULL,              -- JSON declaration as entered (values kept even when invalid)
    stars           BIGINT,                        -- cached outcome of the last assessment
    score           TEXT,
    grade           TEXT,
    created_by      BIGINT  NOT NULL REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    submitted_at    BIGINT,
    UNIQUE (application_id, number)
);

-- Evidence content, addressed by SHA-256; stored once on disk whatever the number of uploads.
CREATE TABLE evidence_blobs (
    sha256      TEXT    PRIMARY KEY,
    size        BIGINT  NOT NULL,
    media_type  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- One attachment of a blob to a declaration version (and optionally one criterion).
CREATE TABLE evidence (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id      BIGINT  NOT NULL REFERENCES declaration_versions (id),
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    organization_id BIGINT  NOT NULL REFERENCES organizations (id),
    criterion_id    TEXT,
    sha256          TEXT    NOT NULL REFERENCES evidence_blobs (sha256),
    filename        TEXT    NOT NULL,
    uploaded_by     BIGINT  NOT NULL REFERENCES users (id),
    uploaded_at     BIGINT  NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX evidence_version ON evidence (version_id);
CREATE INDEX evidence_sha256 ON evidence (sha256);

-- Append-only, hash-chained record of every change of state.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT  NOT NULL,
    actor_id    BIGINT,
    action      TEXT    NOT NULL,
    object      TEXT    NOT NULL,
    details     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
