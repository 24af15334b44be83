-- 012_function_files.sql — the functions' bodies leave the migrations.
-- Until 011 a migration that changed one line of kb_book or kb_free_slots
-- repeated the whole function.  From here on each function's current
-- definition lives in one file, booking/sql/functions/NAME.sql, which
-- `kontor migrate` runs again (CREATE OR REPLACE) whenever its text
-- changes, after the numbered migrations.  This table records the SHA-256
-- of each file as last applied; the server refuses to start while a file
-- is not applied in its current form, as it does for a missing migration.
-- Tables, and the few functions that tables themselves depend on
-- (kb_normalise_contact, kb_valid_time_zone, kb_ts, kb_us), stay in
-- numbered migrations: changing those changes stored data too.

BEGIN;
INSERT INTO schema_version (version, name) VALUES (12, '012_function_files');

CREATE TABLE function_files (
  name       text PRIMARY KEY,
  sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE function_files IS 'booking/sql/functions/NAME.sql files as kontor migrate last applied them.';
COMMENT ON COLUMN function_files.name IS 'The file name, e.g. kb_book.sql.';
COMMENT ON COLUMN function_files.sha256 IS 'SHA-256 (hex) of the file text that was applied.';
COMMENT ON COLUMN function_files.applied_at IS 'When kontor migrate last ran the file.';

COMMIT;
