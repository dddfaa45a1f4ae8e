-- 评审专家: the experts an authority keeps (002 第八条（二）「组织对企业的申报材料进行评审」;
-- 003 二（二）1 「组织专家按照评估标准评选」), their declared relations, the panel of a round, the
-- assignments of experts to applications, conflicts of interest, scores and site visits.

-- An expert record kept by an authority (its region), with the expert's account once created.
CREATE TABLE experts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id        BIGINT  NOT NULL REFERENCES regions (id),  -- the authority that keeps it
    user_id          BIGINT  UNIQUE REFERENCES users (id),      -- the expert's account
    name             TEXT    NOT NULL,
    employer         TEXT    NOT NULL DEFAULT '',
    employer_code    TEXT,                                      -- the employer's 统一社会信用代码
    specialties      TEXT    NOT NULL DEFAULT '[]',             -- JSON: provider type ids, industries
    home_region_id   BIGINT  REFERENCES regions (id),           -- where the expert works
    phone            TEXT    NOT NULL DEFAULT '',
    email            TEXT    NOT NULL DEFAULT '',
    active           BIGINT  NOT NULL DEFAULT 1,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX experts_region ON experts (region_id);
CREATE INDEX experts_employer ON experts (employer_code);

-- Relations an expert declares: a former employer (with dates), a shareholding, a relative
-- working at an organisation.
CREATE TABLE expert_relations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    expert_id       BIGINT  NOT NULL REFERENCES experts (id),
    kind            TEXT    NOT NULL,        -- former_employer | shareholding | relative
    credit_code     TEXT,
    organization    TEXT    NOT NULL DEFAULT '',
    from_on         TEXT,
    until_on        TEXT,
    note            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX expert_relations_expert ON expert_relations (expert_id);
CREATE INDEX expert_relations_code ON expert_relations (credit_code);

-- 评审组: a round's panel settings and conflict rules.
CREATE TABLE panels (
    round_id              BIGINT  PRIMARY KEY REFERENCES rounds (id),
    size                  BIGINT  NOT NULL DEFAULT 3,   -- experts per application
    former_years          BIGINT  NOT NULL DEFAULT 3,   -- a former employer within so many years conflicts
    exclude_same_county   BIGINT  NOT NULL DEFAULT 0,
    exclude_same_city     BIGINT  NOT NULL DEFAULT 0,
    updated_at            BIGINT  NOT NULL
);

-- An expert assigned to an application. `status`: pending (no declaration yet), accepted
-- (declared no conflict), declined (declared a conflict: the assignment no longer counts),
-- removed (by the authority). The review locks when submitted_at is set.
CREATE TABLE expert_assignments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    expert_id       BIGINT  NOT NULL REFERENCES experts (id),
    status          TEXT    NOT NULL DEFAULT 'pending',
    declared_at     BIGINT,
    declaration     TEXT    NOT NULL DEFAULT '',
    opinion         TEXT    NOT NULL DEFAULT '',        -- 评审意见
    submitted_at    BIGINT,
    assigned_by     BIGINT  NOT NULL REFERENCES users (id),
    assigned_at     BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (application_id, expert_id)
);
CREATE INDEX expert_assignments_expert ON expert_assignments (expert_id, status);

-- Conflicts of interest: potential when detected, until the authority confirms or dismisses
-- them with a reason.
CREATE TABLE conflicts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    expert_id       BIGINT  NOT NULL REFERENCES experts (id),
    kind            TEXT    NOT NULL,   -- same_employer | former_employer | shareholding | relative | same_county | same_city | declared
    detail          TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'potential',   -- potential | confirmed | dismissed
    reason          TEXT    NOT NULL DEFAULT '',
    decided_by      BIGINT  REFERENCES users (id),
    decided_at      BIGINT,
    detected_at     BIGINT  NOT NULL,
    UNIQUE (application_id, expert_id, kind)
);
CREATE INDEX conflicts_expert ON conflicts (expert_id);

-- An expert's score of one rubric item (Shaoxing 评审标准), with a note.
CREATE TABLE expert_scores (
    assignment_id   BIGINT  NOT NULL REFERENCES expert_assignments (id),
    criterion_id    TEXT    NOT NULL,
    score           TEXT    NOT NULL,   -- a decimal, as text
    note            TEXT    NOT NULL DEFAULT '',
    at              BIGINT  NOT NULL,
    PRIMARY KEY (assignment_id, criterion_id)
);

-- 现场核查 (002 第八条（二）「必要时可对企业进行现场核查」).
CREATE TABLE site_visits (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    visited_on      TEXT    NOT NULL,
    members         TEXT    NOT NULL,
    findings        TEXT    NOT NULL,
    recorded_by     BIGINT  NOT NULL REFERENCES users (id),
    at              BIGINT  NOT NULL
);
CREATE INDEX site_visits_application ON site_visits (application_id);
CREATE TABLE site_visit_files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    site_visit_id   BIGINT  NOT NULL REFERENCES site_visits (id),
    sha256          TEXT    NOT NULL REFERENCES evidence_blobs (sha256),
    filename        TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
