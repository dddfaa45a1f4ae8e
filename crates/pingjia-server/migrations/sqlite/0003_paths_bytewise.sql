-- Region paths are compared bytewise for the subtree ranges of the list queries; SQLite's
-- default BINARY collation already does so (the PostgreSQL migration of the same number sets
-- the C collation). Nothing to change here; the file keeps the two histories numbered alike.
SELECT 1;
