-- Certificates (证书): one per published grade, issued in the publication's transaction
-- (`services::pool::grant_in`). The number is `ZS-<year of the document>-<published grade's id,
-- six digits or more>` (docs/web.md, "Certificates and reports"): ASCII, stable, nothing private.
-- Its state (valid, expired, revoked, superseded) is read from the member and the dates, never
-- stored.
CREATE TABLE certificates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT    NOT NULL UNIQUE,
    grant_id    BIGINT  NOT NULL UNIQUE REFERENCES published_grades (id),
    member_id   BIGINT  NOT NULL REFERENCES pool_members (id),
    issued_at   BIGINT  NOT NULL
);
CREATE INDEX certificates_member ON certificates (member_id);

-- Grants published before certificates existed get theirs now, numbered by the same rule: the
-- member of the grant's organisation, scheme and type.
INSERT INTO certificates (number, grant_id, member_id, issued_at)
SELECT 'ZS-' || substr(g.document_date, 1, 4) || '-' || printf('%06d', g.id), g.id, m.id, g.published_at
FROM published_grades g
JOIN applications a ON a.id = g.application_id
JOIN pool_members m ON m.organization_id = g.organization_id AND m.scheme_id = a.scheme_id
    AND m.provider_type = COALESCE(a.provider_type, '')
ORDER BY g.id;
