-- The public directory of the pool (资源池名录): members are listed, filtered by region and
-- sorted on their own table, without a join per row. `region_path` is the member's region's
-- path (as `organizations.region_path`), written with each grant.
ALTER TABLE pool_members ADD COLUMN region_path TEXT NOT NULL DEFAULT '';
UPDATE pool_members SET region_path = (SELECT path FROM regions WHERE regions.id = pool_members.region_id);
-- One index per order of the list, each led by the status (active members by default) and
-- ending with the id (the stable order): the first page walks it and stops.
CREATE INDEX pool_members_name ON pool_members (status, organization, id);
CREATE INDEX pool_members_stars ON pool_members (status, stars, id);
CREATE INDEX pool_members_until ON pool_members (status, valid_until, id);
CREATE INDEX pool_members_region ON pool_members (status, region_path, id);
CREATE INDEX pool_members_credit_code ON pool_members (credit_code);
-- The replaced index was the prefix of pool_members_until.
DROP INDEX pool_members_status;
-- The pool's version (the open data's ETag) reads the latest change from an index.
CREATE INDEX pool_members_updated ON pool_members (updated_at);
