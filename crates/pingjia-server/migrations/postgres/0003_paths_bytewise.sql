-- Region paths ("/32/3205/320583/") are compared bytewise: a region's subtree is the range
-- [path, path with its last byte raised), which the list queries read from an index. Under a
-- linguistic collation (en_US.UTF-8 and the like) "/" is ignored at the first level and the
-- range would be wrong, so the path columns take the C collation, whatever the database's.
-- The indexes on these columns are rebuilt by the ALTERs.
ALTER TABLE regions ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE organizations ALTER COLUMN region_path TYPE TEXT COLLATE "C";
ALTER TABLE applications ALTER COLUMN region_path TYPE TEXT COLLATE "C";
