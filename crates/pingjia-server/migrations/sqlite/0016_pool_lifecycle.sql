-- The pool's lifecycle (003 二（二）2、4, 三、1–2; 002 第十一条).

-- 抽查 (003 二（二）4 「委托第三方组织专家不定期对资源池单位服务情况进行抽查，抽查不合格、存在不良
-- 行为的单位的将降级或除名」): one row per check of a member, with its outcome: pass, downgrade (to
-- `stars`), remove.
CREATE TABLE spot_checks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id        BIGINT  NOT NULL REFERENCES pool_members (id),
    checked_on       TEXT    NOT NULL,
    inspectors       TEXT    NOT NULL,              -- the experts, or the commissioned third party
    findings         TEXT    NOT NULL,
    outcome          TEXT    NOT NULL,              -- pass, downgrade, remove
    stars            BIGINT,                        -- downgrade: the stars after
    actor_id         BIGINT  NOT NULL REFERENCES users (id),
    at               BIGINT  NOT NULL
);
CREATE INDEX spot_checks_member ON spot_checks (member_id, id);

CREATE TABLE spot_check_files (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    spot_check_id    BIGINT  NOT NULL REFERENCES spot_checks (id),
    sha256           TEXT    NOT NULL REFERENCES evidence_blobs (sha256),
    filename         TEXT    NOT NULL,
    at               BIGINT  NOT NULL
);
CREATE INDEX spot_check_files_check ON spot_check_files (spot_check_id);

-- Bars (003 三、1 「列入“黑名单”，取消其3年内申报资格」; 002 第十一条 「取消其认定资格，并在3年内不再
-- 受理其认定申请」): an organisation may not apply under `scheme_id` before `first_free_on`.
-- `ground`: fraud (三、1, or 第十一条（一）), article11_2, article11_3, article11_4.
CREATE TABLE bars (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations (id),
    scheme_id        TEXT    NOT NULL,
    region_id        BIGINT  NOT NULL REFERENCES regions (id),  -- the authority that found it
    ground           TEXT    NOT NULL,
    clause           TEXT    NOT NULL,
    found_on         TEXT    NOT NULL,
    first_free_on    TEXT    NOT NULL,
    application_id   BIGINT  REFERENCES applications (id),
    member_id        BIGINT  REFERENCES pool_members (id),
    detail           TEXT    NOT NULL,
    actor_id         BIGINT  NOT NULL REFERENCES users (id),
    at               BIGINT  NOT NULL
);
CREATE INDEX bars_organization ON bars (organization_id, scheme_id, first_free_on);
CREATE INDEX bars_region ON bars (region_id, id);

-- Existing members (003 二（二）2 「现有单位可在本文件发出后的1年内…申请评级，1年内未通过评估的池内
-- 单位将予以除名」), imported by the authority. `status`: pending (not graded yet), graded (a
-- grade of the scheme was published for it), removed (the deadline passed).
CREATE TABLE legacy_members (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id        BIGINT  NOT NULL REFERENCES regions (id),  -- the importing authority
    scheme_id        TEXT    NOT NULL,
    organization     TEXT    NOT NULL,
    credit_code      TEXT    NOT NULL,
    type_label       TEXT    NOT NULL,
    deadline         TEXT    NOT NULL,              -- the last day to be graded
    status           TEXT    NOT NULL DEFAULT 'pending',
    actor_id         BIGINT  NOT NULL REFERENCES users (id),
    at               BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (scheme_id, credit_code, type_label)
);
CREATE INDEX legacy_members_status ON legacy_members (status, deadline);
CREATE INDEX legacy_members_region ON legacy_members (region_id, id);
