-- Every service, by name (public).
SELECT s.id, s.name, s.duration_min, s.buffer_min, s.notice_min, s.horizon_days,
       s.join_before_min, s.join_after_min, array_to_string(s.languages, ',') AS languages,
       s.interpreter_allowed
  FROM services s
 ORDER BY s.name, s.id
