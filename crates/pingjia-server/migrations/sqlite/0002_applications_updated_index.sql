-- Lists of applications are shown most recently changed first (ORDER BY updated_at DESC, id DESC
-- LIMIT 20). Without this index every list request joined and sorted all the applications of the
-- caller's region (SQLite even scanned every declaration version: 26 requests/s for the 苏州 list
-- with 100,000 applications). With it the list walks the applications newest first and stops after
-- one page; region_path and state make the index covering for the visibility filter, so pages deep
-- in a small region are read from the index alone. Measurements: docs/benchmarks-web.md.
CREATE INDEX applications_updated ON applications (updated_at, id, region_path, state);
