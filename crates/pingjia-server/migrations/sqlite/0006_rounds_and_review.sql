-- 批次 (rounds) become complete: a round is drafted by its authority, published (its 申报通知
-- is public from then on), and bound to its scheme's parameters. Dates are YYYY-MM-DD in China
-- time; the submission window is opens_on ..= closes_on.
ALTER TABLE rounds ADD COLUMN county_deadline TEXT;            -- 区县初审 finishes by
ALTER TABLE rounds ADD COLUMN city_deadline TEXT;              -- 设区市审核推荐 finishes by
ALTER TABLE rounds ADD COLUMN divergence_ratio TEXT;           -- Shaoxing: expert divergence threshold (share of an item's maximum)
ALTER TABLE rounds ADD COLUMN request_optional_materials BIGINT NOT NULL DEFAULT 0; -- 002 第七条（八）
ALTER TABLE rounds ADD COLUMN materials TEXT NOT NULL DEFAULT '[]';  -- JSON: further materials the round requires, as text
ALTER TABLE rounds ADD COLUMN chain TEXT;                      -- JSON review chain overriding the scheme's (NULL: the scheme's)
ALTER TABLE rounds ADD COLUMN notice TEXT NOT NULL DEFAULT ''; -- 申报通知: who may apply, how
ALTER TABLE rounds ADD COLUMN contact_office TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN published_at BIGINT;             -- NULL: a draft only its authority sees
ALTER TABLE rounds ADD COLUMN created_by BIGINT REFERENCES users (id);
ALTER TABLE rounds ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX rounds_region ON rounds (region_id);

-- The review chain's decisions on an application, in order: the applicant's timeline and the
-- reviewers' record. `criterion_comments` is JSON: field or criterion id → comment.
CREATE TABLE review_events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id      BIGINT  NOT NULL REFERENCES applications (id),
    version_number      BIGINT  NOT NULL,
    action              TEXT    NOT NULL,
    from_state          TEXT    NOT NULL,
    to_state            TEXT    NOT NULL,
    actor_id            BIGINT  NOT NULL REFERENCES users (id),
    actor_role          TEXT    NOT NULL,
    comment             TEXT    NOT NULL DEFAULT '',
    criterion_comments  TEXT    NOT NULL DEFAULT '{}',
    respond_by          TEXT,                          -- a return: resubmit by this date
    at                  BIGINT  NOT NULL
);
CREATE INDEX review_events_application ON review_events (application_id, id);

-- 核定值: a reviewer's confirmation or correction of one declared value. Every row is kept;
-- the value in force for a field is the one from the highest level, latest first.
CREATE TABLE confirmed_values (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    version_number  BIGINT  NOT NULL,
    field_id        TEXT    NOT NULL,
    value           TEXT    NOT NULL,                  -- JSON value, as a declaration holds it
    declared        TEXT,                              -- JSON of the declared value at the time
    note            TEXT    NOT NULL DEFAULT '',
    level           BIGINT  NOT NULL,                  -- 1 county, 2 city, 3 authority
    actor_id        BIGINT  NOT NULL REFERENCES users (id),
    actor_role      TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX confirmed_values_application ON confirmed_values (application_id, version_number, field_id);

-- The city's (or a county's that recommends directly) recommendation: 推荐意见 and 推荐顺序.
ALTER TABLE applications ADD COLUMN recommend_opinion TEXT;
ALTER TABLE applications ADD COLUMN recommend_rank BIGINT;
ALTER TABLE applications ADD COLUMN recommended_at BIGINT;
ALTER TABLE applications ADD COLUMN respond_by TEXT;          -- while returned: resubmit by
CREATE INDEX applications_round ON applications (round_id, state);
