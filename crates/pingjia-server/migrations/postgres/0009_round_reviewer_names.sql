-- Whether the applicant's timeline of review decisions names the reviewer who acted. By default
-- it shows only the acting office (region and role, 「江宁区 区县审核」); a round's authority may
-- choose to add the reviewer's display name. 1 shows names, 0 (the default) does not.
ALTER TABLE rounds ADD COLUMN show_reviewer_names BIGINT NOT NULL DEFAULT 0;
