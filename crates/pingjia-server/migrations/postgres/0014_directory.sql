-- The public directory of the pool (资源池名录): members are listed, filtered by region and
-- sorted on their own table, without a join per row. `region_path` is the member's region's
-- path (as `organizations.region_path`), written with each grant; names and paths compare
-- bytewise, as on SQLite.
ALTER TABLE pool_members ADD COLUMN region_path TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE pool_members SET region_path = (SELECT path FROM regions WHERE regions.id = pool_members.region_id);
ALTER TABLE pool_members ALTER COLUMN organization TYPE TEXT COLLATE "C";
-- One index per order of the list, each led by the status (active members by default) and
-- ending with the id (the stable order). NULL sorts first ascending, as on SQLite.
CREATE INDEX pool_members_name ON pool_members (status, organization, id);
CREATE INDEX pool_members_stars ON pool_members (status, stars NULLS FIRST, id);
CREATE INDEX pool_members_until ON pool_members (status, valid_until NULLS FIRST, id);
CREATE INDEX pool_members_region ON pool_members (status, region_path, id);
CREATE INDEX pool_members_credit_code ON pool_members (credit_code);
DROP INDEX pool_members_status;
-- The pool's version (the open data's ETag) reads the latest change from an index.
CREATE INDEX pool_members_updated ON pool_members (updated_at);
