/* kbt.h — helpers shared by the db tests: a fresh database per test, plain
 * SQL, and waiting for async results on a GMainLoop. */
#pragma once

#include "booking/booking.h"

#include <libpq-fe.h>

/* Exit code meson reads as "skipped". */
#define KBT_SKIP 77

/* TRUE if KONTOR_TEST_CONNINFO is set. */
gboolean kbt_available (void);
/* The start of every test main: FALSE without a database (main then
 * returns KBT_SKIP), otherwise g_test_init and TRUE. */
gboolean kbt_init (int *argc, char ***argv);

/* Creates an empty database of its own, migrated if migrate is TRUE;
 * returns its conninfo (transfer full).  Fails the test on error. */
gchar *kbt_db_new (gboolean migrate);
/* Drops it (forcibly: a pool may still hold connections). */
void kbt_db_drop (const gchar *conninfo);

/* How most tests start: a fresh migrated database (*db, its conninfo) and
 * a plain connection to it (*pg) for set-up and checks in SQL. */
void kbt_open (gchar **db, PGconn **pg);
/* A store of pool_size connections on db; fails the test on error. */
KbStore *kbt_store (const gchar *db, guint pool_size);
/* Undoes kbt_open and kbt_store: frees store, closes pg, drops the
 * database and frees db.  Takes all three; store and pg may be NULL. */
void kbt_close (gchar *db, PGconn *pg, KbStore *store);

PGconn *kbt_connect (const gchar *conninfo);
/* Runs sql with text params; returns the result whatever its status
 * (transfer full). */
PGresult *kbt_exec (PGconn *pg, const gchar *sql, int n, const gchar *const *params);
/* Runs sql that must succeed, without parameters; it may hold several
 * statements. */
void kbt_exec_ok (PGconn *pg, const gchar *sql);
/* Runs sql that must succeed; the first value of the first row as int64
 * (0 if none). */
gint64 kbt_exec_id (PGconn *pg, const gchar *sql, int n, const gchar *const *params);
/* SQLSTATE of a failed result, or "" on success. */
const gchar *kbt_sqlstate (const PGresult *res);

/* Seeds an office in zone tz open 00:00–24:00 every day, a service
 * (duration/buffer minutes), and one caseworker with the given password;
 * returns ids through the out parameters. */
void kbt_seed (PGconn *pg, const gchar *tz, gint duration_min, gint buffer_min, const gchar *email,
               const gchar *password, gint64 *office, gint64 *service, gint64 *caseworker);
/* Inserts a booking with plain SQL starting at start_us; returns its id
 * (or 0 and *sqlstate on failure).  token may be NULL (a random one). */
gint64 kbt_book (PGconn *pg, gint64 service, gint64 caseworker, gint64 start_us, const gchar *token,
                 gchar **sqlstate);

/* Books through the C API (kb_book_async) and waits for the answer. */
KbBookResult *kbt_book_api (KbStore *store, const KbBookRequest *request, gint64 now,
                            GError **error);

/* Use as GAsyncReadyCallback with user_data = &slot (GAsyncResult *slot =
 * NULL); kbt_wait() iterates the default context until slot is set (at
 * most 20 s) and returns it. */
void kbt_ready (GObject *source, GAsyncResult *result, gpointer slot);
GAsyncResult *kbt_wait (GAsyncResult **slot);
