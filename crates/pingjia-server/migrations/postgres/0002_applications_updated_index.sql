-- Lists of applications are shown most recently changed first (ORDER BY updated_at DESC, id DESC
-- LIMIT 20). Without this index every list request read and sorted all the applications of the
-- caller's region. With it the planner walks the applications newest first and stops after one
-- page when the region is large (the province-wide list: 455 ms → 1.4 ms per query with 100,000
-- applications); region_path and state make the index cover the visibility filter. Lists of
-- smaller regions also need the query change described in docs/benchmarks-web.md (the join on
-- the latest version is misestimated, so the planner still hashes every version).
CREATE INDEX applications_updated ON applications (updated_at, id, region_path, state);
