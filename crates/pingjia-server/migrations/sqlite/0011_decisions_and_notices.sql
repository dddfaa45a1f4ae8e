-- The authority's decisions (002 第八条（二）「择优确定拟认定平台名单」; 003 二（二）1), the public
-- notice of a round's decisions (002 第八条（二）「公示7天」), objections to it and their
-- resolution (第八条（三）「公示有异议的，按照相关程序对有关问题进行核实处理」), and the published
-- grades (第八条（三）「发文公布」; 003 三、2 「每次定级有效期3年」).

-- A decision on an application: every decision is kept; the latest is in force. `result` is a
-- result id (star3 | star4 | star5 | not_graded | recognized | not_recognized | selected |
-- not_selected); `default_result` the one the grade computed from the confirmed values gives;
-- a decision that departs from it carries a reason.
CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    round_id        BIGINT  NOT NULL REFERENCES rounds (id),
    result          TEXT    NOT NULL,
    default_result  TEXT    NOT NULL,
    score           TEXT,                 -- the aggregated total when decided (rubric schemes)
    reason          TEXT    NOT NULL DEFAULT '',
    decided_by      BIGINT  NOT NULL REFERENCES users (id),
    decided_at      BIGINT  NOT NULL
);
CREATE INDEX decisions_application ON decisions (application_id, id);
CREATE INDEX decisions_round ON decisions (round_id);

-- A round's quota of positive decisions (择优), optional: exceeding it warns, never cuts.
CREATE TABLE decision_quotas (
    round_id        BIGINT  PRIMARY KEY REFERENCES rounds (id),
    quota           BIGINT,
    updated_at      BIGINT  NOT NULL
);

-- 公示: a round's notice. The period runs from `opens_on` to `closes_on`, both included
-- (natural days, China time).
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id        BIGINT  NOT NULL REFERENCES rounds (id),
    title           TEXT    NOT NULL,
    opens_on        TEXT    NOT NULL,
    closes_on       TEXT    NOT NULL,
    office          TEXT    NOT NULL,
    contact         TEXT    NOT NULL,
    how_to_object   TEXT    NOT NULL,
    opened_by       BIGINT  NOT NULL REFERENCES users (id),
    opened_at       BIGINT  NOT NULL
);
CREATE INDEX notices_round ON notices (round_id);

-- An application on a notice, as the public sees it (organisation, provider type, proposed
-- result), fixed when the notice opens. `status`: on_notice | reopened (taken back into
-- expert review after an upheld objection) | withdrawn (rejected after an upheld objection)
-- | published.
CREATE TABLE notice_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id       BIGINT  NOT NULL REFERENCES notices (id),
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    decision_id     BIGINT  NOT NULL REFERENCES decisions (id),
    organization    TEXT    NOT NULL,
    provider_type   TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'on_notice',
    UNIQUE (notice_id, application_id)
);
CREATE INDEX notice_entries_application ON notice_entries (application_id);

-- 异议: filed by a named person during the period. The name, contact and address are the
-- authority's to see only. `status`: open | upheld | dismissed; `outcome` of an upheld one:
-- revise (back to expert review) | withdraw (rejected).
CREATE TABLE objections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id       BIGINT  NOT NULL REFERENCES notices (id),
    entry_id        BIGINT  NOT NULL REFERENCES notice_entries (id),
    name            TEXT    NOT NULL,
    contact         TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    address         TEXT    NOT NULL DEFAULT '',
    filed_at        BIGINT  NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open',
    outcome         TEXT,
    resolution      TEXT    NOT NULL DEFAULT '',
    resolved_by     BIGINT  REFERENCES users (id),
    resolved_at     BIGINT
);
CREATE INDEX objections_entry ON objections (entry_id, status);
CREATE INDEX objections_notice ON objections (notice_id);

CREATE TABLE objection_files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    objection_id    BIGINT  NOT NULL REFERENCES objections (id),
    sha256          TEXT    NOT NULL REFERENCES evidence_blobs (sha256),
    filename        TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX objection_files_objection ON objection_files (objection_id);

-- Objections filed per client address, for throttling.
CREATE TABLE objection_attempts (
    address         TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX objection_attempts_address ON objection_attempts (address, at);

-- 发文公布: one record per published entry — the pool later issues manage. `stars` for star
-- grades; `valid_until` where the scheme sets a term (003 三、2: 3 years), else none.
CREATE TABLE published_grades (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL UNIQUE REFERENCES applications (id),
    organization_id BIGINT  NOT NULL REFERENCES organizations (id),
    round_id        BIGINT  NOT NULL REFERENCES rounds (id),
    notice_id       BIGINT  NOT NULL REFERENCES notices (id),
    organization    TEXT    NOT NULL,
    credit_code     TEXT    NOT NULL,
    provider_type   TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    stars           BIGINT,
    valid_from      TEXT    NOT NULL,
    valid_until     TEXT,
    document_number TEXT    NOT NULL,
    document_date   TEXT    NOT NULL,
    published_by    BIGINT  NOT NULL REFERENCES users (id),
    published_at    BIGINT  NOT NULL
);
CREATE INDEX published_grades_round ON published_grades (round_id);
CREATE INDEX published_grades_organization ON published_grades (organization_id);
