-- 001_initial.sql — the walking skeleton's schema: offices, weekly hours,
-- services, caseworkers, sessions and bookings that cannot collide.
--
-- One transaction that registers itself in schema_version; the runner
-- (booking/migrate.c) applies it once.  Never edit this file once it is
-- committed: later changes go into 002 and up.

BEGIN;

CREATE TABLE schema_version (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE schema_version IS 'Migrations applied to this database, one row per booking/sql/NNN_name.sql file.';
COMMENT ON COLUMN schema_version.version IS 'The NNN number of the migration file.';
COMMENT ON COLUMN schema_version.name IS 'The file name without .sql, e.g. 001_initial.';
COMMENT ON COLUMN schema_version.applied_at IS 'When the migration was committed (bookkeeping only, not a rule).';

INSERT INTO schema_version (version, name) VALUES (1, '001_initial');

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Time crosses the C boundary as microseconds since the Unix epoch (int8),
-- the unit of g_get_real_time(); these two convert without rounding.
CREATE FUNCTION kb_ts (us bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN 'epoch'::timestamptz + us * interval '1 microsecond';
COMMENT ON FUNCTION kb_ts (bigint) IS 'Microseconds since the Unix epoch to timestamptz (the server clock arrives as a parameter in this unit).';

CREATE FUNCTION kb_us (t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (extract(epoch FROM t) * 1000000)::bigint;
COMMENT ON FUNCTION kb_us (timestamptz) IS 'timestamptz to microseconds since the Unix epoch, for results read by C.';

-- A time zone name is only useful if PostgreSQL knows it; a typo would make
-- every slot of the office wrong, so refuse it at the door.
CREATE FUNCTION kb_valid_time_zone (zone text) RETURNS boolean
  LANGUAGE sql STABLE STRICT
  RETURN EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = zone)
         AND zone !~ '^(posix|right)/' AND (zone LIKE '%/%' OR zone = 'UTC');
COMMENT ON FUNCTION kb_valid_time_zone (text) IS 'True if zone is an IANA Area/Location name known to this server (no abbreviations, no POSIX strings).';

CREATE FUNCTION kb_offices_check_zone () RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NOT kb_valid_time_zone(NEW.time_zone) THEN
    RAISE EXCEPTION 'unknown time zone "%"', NEW.time_zone
      USING ERRCODE = 'check_violation', HINT = 'Use an IANA name such as Europe/Oslo.';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION kb_offices_check_zone () IS 'Trigger: refuses an office whose time zone is not an IANA name PostgreSQL knows.';

CREATE TABLE offices (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name      text NOT NULL UNIQUE CHECK (length(btrim(name)) > 0),
  time_zone text NOT NULL,
  address   text NOT NULL DEFAULT ''
);
COMMENT ON TABLE offices IS 'A job-centre office: the place whose wall clock and opening hours govern its bookings.';
COMMENT ON COLUMN offices.id IS 'Surrogate key.';
COMMENT ON COLUMN offices.name IS 'Human name shown to job seekers and caseworkers.';
COMMENT ON COLUMN offices.time_zone IS 'IANA zone (e.g. Europe/Oslo) in which opening hours are local wall-clock times; validated by trigger.';
COMMENT ON COLUMN offices.address IS 'Postal address, free text.';

CREATE TRIGGER offices_check_zone BEFORE INSERT OR UPDATE OF time_zone ON offices
  FOR EACH ROW EXECUTE FUNCTION kb_offices_check_zone();

CREATE TABLE opening_hours (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  office_id  bigint NOT NULL REFERENCES offices ON DELETE CASCADE,
  weekday    smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  opens_at   time NOT NULL,
  closes_at  time NOT NULL,
  CHECK (opens_at < closes_at),
  EXCLUDE USING gist (office_id WITH =, weekday WITH =,
                      tsrange('2000-01-01'::date + opens_at, '2000-01-01'::date + closes_at) WITH &&)
);
COMMENT ON TABLE opening_hours IS 'Weekly opening hours: several intervals a day allowed (e.g. closed for lunch), never overlapping.';
COMMENT ON COLUMN opening_hours.id IS 'Surrogate key.';
COMMENT ON COLUMN opening_hours.office_id IS 'The office these hours belong to.';
COMMENT ON COLUMN opening_hours.weekday IS 'ISO weekday of the office''s local date: 1 = Monday … 7 = Sunday.';
COMMENT ON COLUMN opening_hours.opens_at IS 'Local wall-clock time (office zone) the interval starts.';
COMMENT ON COLUMN opening_hours.closes_at IS 'Local wall-clock time (office zone) the interval ends; after opens_at (no interval crosses midnight).';

CREATE TABLE services (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                text NOT NULL UNIQUE CHECK (length(btrim(name)) > 0),
  duration_min        integer NOT NULL DEFAULT 30 CHECK (duration_min BETWEEN 5 AND 480),
  buffer_min          integer NOT NULL DEFAULT 0 CHECK (buffer_min BETWEEN 0 AND 240),
  join_before_min     integer NOT NULL DEFAULT 10 CHECK (join_before_min BETWEEN 0 AND 120),
  join_after_min      integer NOT NULL DEFAULT 15 CHECK (join_after_min BETWEEN 0 AND 240)
);
COMMENT ON TABLE services IS 'What a job seeker can book, e.g. a 30-minute guidance meeting.';
COMMENT ON COLUMN services.id IS 'Surrogate key.';
COMMENT ON COLUMN services.name IS 'Human name of the service.';
COMMENT ON COLUMN services.duration_min IS 'Length of one meeting in minutes.';
COMMENT ON COLUMN services.buffer_min IS 'Minutes the caseworker stays blocked after each meeting (notes, a breather).';
COMMENT ON COLUMN services.join_before_min IS 'The join window opens this many minutes before the booked start (first entry only).';
COMMENT ON COLUMN services.join_after_min IS 'A late job seeker may still enter until this many minutes after the booked start.';

CREATE TABLE caseworkers (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  office_id     bigint NOT NULL REFERENCES offices,
  name          text NOT NULL CHECK (length(btrim(name)) > 0),
  email         text NOT NULL,
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  is_admin      boolean NOT NULL DEFAULT false,
  active        boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX caseworkers_email_key ON caseworkers (lower(email));
COMMENT ON TABLE caseworkers IS 'Staff who run meetings; administrators are caseworkers with is_admin.';
COMMENT ON COLUMN caseworkers.id IS 'Surrogate key.';
COMMENT ON COLUMN caseworkers.office_id IS 'The office the caseworker works for (and may see the bookings of).';
COMMENT ON COLUMN caseworkers.name IS 'Display name shown to job seekers.';
COMMENT ON COLUMN caseworkers.email IS 'Login name; unique regardless of case.';
COMMENT ON COLUMN caseworkers.password_hash IS 'argon2id hash in libsodium crypto_pwhash_str format (salt and limits included).';
COMMENT ON COLUMN caseworkers.is_admin IS 'May administer offices, hours, services and caseworkers.';
COMMENT ON COLUMN caseworkers.active IS 'False once the caseworker has left: cannot log in, gets no new bookings.';

CREATE TABLE sessions (
  token_hash    bytea PRIMARY KEY CHECK (length(token_hash) = 32),
  caseworker_id bigint NOT NULL REFERENCES caseworkers ON DELETE CASCADE,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  CHECK (created_at < expires_at)
);
CREATE INDEX sessions_caseworker ON sessions (caseworker_id);
COMMENT ON TABLE sessions IS 'Caseworker login sessions; the cookie holds the raw secret, the database only its hash.';
COMMENT ON COLUMN sessions.token_hash IS 'SHA-256 of the session secret.';
COMMENT ON COLUMN sessions.caseworker_id IS 'Who logged in.';
COMMENT ON COLUMN sessions.created_at IS 'Server clock at login.';
COMMENT ON COLUMN sessions.expires_at IS 'The session is dead from this instant on.';

CREATE TYPE booking_status AS ENUM
  ('booked', 'waiting', 'in_meeting', 'completed', 'cancelled', 'no_show', 'not_admitted');
COMMENT ON TYPE booking_status IS 'Meeting lifecycle: booked → waiting → in_meeting → completed; or cancelled, no_show (never checked in), not_admitted (checked in, never let in).';

CREATE TABLE bookings (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference     text NOT NULL UNIQUE,
  token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  seeker_name   text NOT NULL CHECK (length(btrim(seeker_name)) > 0),
  seeker_contact text NOT NULL DEFAULT '',
  language      text NOT NULL DEFAULT 'nb',
  service_id    bigint NOT NULL REFERENCES services,
  caseworker_id bigint NOT NULL REFERENCES caseworkers,
  during        tstzrange NOT NULL CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)
                                          AND NOT lower_inf(during) AND NOT upper_inf(during)),
  blocked       tstzrange NOT NULL,
  status        booking_status NOT NULL DEFAULT 'booked',
  created_at    timestamptz NOT NULL,
  checked_in_at timestamptz,
  admitted_at   timestamptz,
  ended_at      timestamptz,
  cancelled_at  timestamptz,
  status_changed_at timestamptz NOT NULL,
  CHECK (blocked @> during AND lower(blocked) = lower(during)),
  EXCLUDE USING gist (caseworker_id WITH =, blocked WITH &&) WHERE (status <> 'cancelled')
);
CREATE INDEX bookings_during ON bookings USING gist (during);
COMMENT ON TABLE bookings IS 'One booked video meeting between a job seeker and a caseworker.  No two live bookings of a caseworker overlap, buffer included (exclusion constraint).';
COMMENT ON COLUMN bookings.id IS 'Surrogate key.';
COMMENT ON COLUMN bookings.reference IS 'Short human reference, e.g. K7F-3QX, said on the phone or typed at a kiosk.';
COMMENT ON COLUMN bookings.token_hash IS 'SHA-256 of the secret link token; the raw token exists only in the job seeker''s link.';
COMMENT ON COLUMN bookings.seeker_name IS 'Job seeker''s name as given when booking (the minimum needed).';
COMMENT ON COLUMN bookings.seeker_contact IS 'Job seeker''s e-mail or phone as given.';
COMMENT ON COLUMN bookings.language IS 'Language of the meeting (BCP 47 tag, e.g. nb, en).';
COMMENT ON COLUMN bookings.service_id IS 'The booked service (duration, buffer, join window).';
COMMENT ON COLUMN bookings.caseworker_id IS 'The caseworker who runs the meeting.';
COMMENT ON COLUMN bookings.during IS 'The meeting''s time, [start, end).';
COMMENT ON COLUMN bookings.blocked IS 'during extended by the service buffer: the range the caseworker cannot be booked again (exclusion constraint).';
COMMENT ON COLUMN bookings.status IS 'Where the meeting is in its lifecycle.';
COMMENT ON COLUMN bookings.created_at IS 'Server clock when booked.';
COMMENT ON COLUMN bookings.checked_in_at IS 'When the job seeker first entered the waiting room (status waiting).';
COMMENT ON COLUMN bookings.admitted_at IS 'When the caseworker admitted the job seeker (status in_meeting).';
COMMENT ON COLUMN bookings.ended_at IS 'When the meeting was ended (completed) or closed as no_show / not_admitted.';
COMMENT ON COLUMN bookings.cancelled_at IS 'When the booking was cancelled.';
COMMENT ON COLUMN bookings.status_changed_at IS 'Server clock of the latest status transition.';

-- Everything other modules read about a booking, in one place, so that every
-- query returns the same columns (booking/row.c reads them by name).
CREATE VIEW booking_view AS
SELECT b.id, b.reference, b.token_hash, b.seeker_name, b.seeker_contact,
       s.name AS service_name, b.language,
       b.caseworker_id, c.name AS caseworker_name,
       o.id AS office_id, o.name AS office_name, o.time_zone AS office_tz,
       kb_us(lower(b.during)) AS starts_us, kb_us(upper(b.during)) AS ends_us,
       s.join_before_min * 60 AS join_before_s, s.join_after_min * 60 AS join_after_s,
       b.status,
       kb_us(b.checked_in_at) AS checked_in_us, kb_us(b.admitted_at) AS admitted_us,
       kb_us(b.ended_at) AS ended_us
  FROM bookings b
  JOIN services s ON s.id = b.service_id
  JOIN caseworkers c ON c.id = b.caseworker_id
  JOIN offices o ON o.id = c.office_id;
COMMENT ON VIEW booking_view IS 'A booking with its service, caseworker and office, times in µs since the epoch: the shape booking/row.c parses.';
COMMENT ON COLUMN booking_view.id IS 'bookings.id';
COMMENT ON COLUMN booking_view.reference IS 'bookings.reference';
COMMENT ON COLUMN booking_view.token_hash IS 'bookings.token_hash';
COMMENT ON COLUMN booking_view.seeker_name IS 'bookings.seeker_name';
COMMENT ON COLUMN booking_view.seeker_contact IS 'bookings.seeker_contact';
COMMENT ON COLUMN booking_view.service_name IS 'services.name';
COMMENT ON COLUMN booking_view.language IS 'bookings.language';
COMMENT ON COLUMN booking_view.caseworker_id IS 'bookings.caseworker_id';
COMMENT ON COLUMN booking_view.caseworker_name IS 'caseworkers.name';
COMMENT ON COLUMN booking_view.office_id IS 'The caseworker''s office.';
COMMENT ON COLUMN booking_view.office_name IS 'offices.name';
COMMENT ON COLUMN booking_view.office_tz IS 'offices.time_zone';
COMMENT ON COLUMN booking_view.starts_us IS 'lower(during) in µs since the epoch.';
COMMENT ON COLUMN booking_view.ends_us IS 'upper(during) in µs since the epoch.';
COMMENT ON COLUMN booking_view.join_before_s IS 'Join window opening before start, seconds.';
COMMENT ON COLUMN booking_view.join_after_s IS 'Join window closing after start, seconds.';
COMMENT ON COLUMN booking_view.status IS 'bookings.status';
COMMENT ON COLUMN booking_view.checked_in_us IS 'checked_in_at in µs, NULL if not yet.';
COMMENT ON COLUMN booking_view.admitted_us IS 'admitted_at in µs, NULL if not yet.';
COMMENT ON COLUMN booking_view.ended_us IS 'ended_at in µs, NULL if not yet.';

COMMIT;
