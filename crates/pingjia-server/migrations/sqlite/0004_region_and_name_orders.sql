-- Lists are read one page at a time in one of two ways (store::applications,
-- store::organizations_in): walking an index in the list's order and stopping after the page,
-- or taking the caller's region range and sorting it. For the second to read nothing but an
-- index, the region indexes carry the sort keys; the indexes they replace were their prefixes.
CREATE INDEX applications_region_updated ON applications (region_path, state, updated_at, id);
DROP INDEX applications_region_state;
CREATE INDEX organizations_region_name ON organizations (region_path, name, id);
DROP INDEX organizations_region_path;
-- Organisations are listed by name: the walk in that order.
CREATE INDEX organizations_name ON organizations (name, id, region_path);
