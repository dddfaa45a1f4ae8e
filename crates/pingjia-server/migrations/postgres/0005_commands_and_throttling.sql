-- Sign-in attempts are counted per client address as well as per user name; an attempt is
-- recorded before the password is checked (reserved as a failure, turned into a success when
-- the password is right), so that parallel guesses all count.
ALTER TABLE login_attempts ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE INDEX login_attempts_address_at ON login_attempts (address, at);

-- API tokens may expire.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;

-- A submitted version keeps the organisation's facts as they were when it was submitted
-- (name, credit code, kind, region), as JSON; renaming the organisation later does not change
-- what reviewers see of that version.
ALTER TABLE declaration_versions ADD COLUMN organization TEXT;

-- At most one open application per organisation, scheme, provider type and round.
CREATE UNIQUE INDEX applications_one_open ON applications
    (organization_id, scheme_id, COALESCE(provider_type, ''), COALESCE(round_id, 0))
    WHERE state NOT IN ('published', 'rejected', 'revoked', 'removed', 'withdrawn', 'not_graded');
