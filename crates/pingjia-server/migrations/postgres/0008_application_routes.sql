-- The offices an application's route passes through, as `/county/city/province/`: its round's
-- review chain applied to its organisation's region when it was created. A reviewing office
-- sees only the applications whose route includes its level (003 二（一）: 昆山市、泰兴市、
-- 沭阳县 recommend to the province themselves, so 苏州、泰州、宿迁 have no part in theirs).
-- Empty for applications created before routes were recorded.
ALTER TABLE applications ADD COLUMN offices TEXT NOT NULL DEFAULT '';
