/* kb-private.h — what the files of booking/ share; other modules use
 * booking/booking.h only. */
#pragma once

#include "booking/booking.h"
#include "booking/booking-admin.h"

#include <libpq-fe.h>

/* A log line about one booking or meeting carries its id as the field
 * MEETING_ID (the program's log writer makes it a journal field or a JSON
 * key).  Log no name, contact, reference, code or token. */
#define kb_log_meeting(level, booking_id, ...)                                        \
  G_STMT_START                                                                        \
  {                                                                                   \
    gchar kb_meeting_id_[24];                                                         \
    g_snprintf (kb_meeting_id_, sizeof kb_meeting_id_, "%" G_GINT64_FORMAT,           \
                (gint64) (booking_id));                                               \
    g_log_structured (G_LOG_DOMAIN, (level), "MEETING_ID", kb_meeting_id_, "MESSAGE", \
                      __VA_ARGS__);                                                   \
  }                                                                                   \
  G_STMT_END

G_BEGIN_DECLS

/* How long a caseworker session lives (docs/api.md says 12 hours). */
#define KB_SESSION_LIFETIME_S (12 * 3600)

/* ---- embedded SQL (resources.c) --------------------------------------- */

/* Migration file names ("001_initial.sql" …) in apply order.  Transfer full. */
GStrv kb_sql_migrations (void);
/* The function files, sql/functions/NAME.sql, sorted. */
GStrv kb_sql_functions (void);
/* The text of one embedded file: "sql/001_initial.sql", "queries/x.sql".
 * Transfer full; NULL if absent. */
gchar *kb_sql_text (const gchar *path);
/* Named statements: every file under queries/, name = basename without .sql.
 * Transfer full (NULL-terminated, pairs name, sql, name, sql, …). */
GStrv kb_sql_statements (void);

/* ---- migrations (migrate.c) ------------------------------------------- */

/* Fails with KB_ERROR_DATABASE naming the first migration not applied. */
gboolean kb_migrate_check (PGconn *pg, GError **error);

/* ---- the pool (pool.c) ------------------------------------------------ */

/* Runs a named prepared statement with text parameters (a NULL entry is SQL
 * NULL) on the first free connection.  The finish function returns the
 * PGresult (transfer full, PQclear) with status TUPLES_OK or COMMAND_OK, or
 * NULL with an error: KB_ERROR_SLOT_TAKEN for an exclusion violation,
 * KB_ERROR_INVALID for a check, trigger or data error; KB_ERROR_BUSY when
 * the queue is full, the wait for a connection too long or the statement
 * timed out (nothing was changed); KB_ERROR_UNAVAILABLE when the database
 * cannot be reached or the connection was lost or gave no answer in time
 * (a write may or may not have been applied); KB_ERROR_DATABASE otherwise.
 * A PGresult means the statement was committed. */
void kb_store_query_async (KbStore *store, const gchar *statement, guint n_params,
                           const gchar *const *params, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
/* The same for the read that completes a change already committed (the
 * booking as it is after book, cancel or move): it goes to the head of the
 * queue and is never refused for a full one, so that a write that went
 * through is not reported as refused for want of its answer. */
void kb_store_follow_up_async (KbStore *store, const gchar *statement, guint n_params,
                               const gchar *const *params, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
PGresult *kb_store_query_finish (KbStore *store, GAsyncResult *result, GError **error);

/* The key new bookings' tokens are sealed with, or NULL (none set). */
const guint8 *kb_store_seal_key (KbStore *store);

/* FALSE while the database counts as down (queries are refused at once
 * with KB_ERROR_UNAVAILABLE): for work to skip before its first query. */
gboolean kb_store_available (KbStore *store);

/* For the callback of a query run on behalf of task: the result (transfer
 * full, PQclear), or NULL when the query failed, in which case the error
 * has already been returned on task and the callback only drops its
 * reference.  task is borrowed. */
PGresult *kb_query_finish_or_return (GTask *task, GAsyncResult *result);

/* The callback of a statement whose answer says nothing beyond having
 * succeeded (an insert, a delete): TRUE on task (passed as user data,
 * transfer full), or the error. */
void kb_query_return_done (GObject *source, GAsyncResult *result, gpointer task);

/* Maps a failed result to a GError as described above. */
void kb_result_to_error (const PGresult *res, GError **error);

/* A blocking connection for start-up, migrations and the demo. */
PGconn *kb_connect_blocking (const gchar *conninfo, GError **error);

/* ---- parameters and rows (row.c) -------------------------------------- */

/* "\\x…" hex text of the SHA-256 of token, as a bytea parameter. */
gchar *kb_param_token_hash (const gchar *token);
gchar *kb_param_int64 (gint64 value);

gint64 kb_row_int64 (const PGresult *res, int row, const gchar *column);
const gchar *kb_row_text (const PGresult *res, int row, const gchar *column);
gboolean kb_row_bool (const PGresult *res, int row, const gchar *column);
/* Reads the columns of booking_view. */
KbBooking *kb_booking_from_row (const PGresult *res, int row);
/* Reads id, name, email, office_id, office_name, office_tz, is_admin. */
KbCaseworker *kb_caseworker_from_row (const PGresult *res, int row);

typedef gpointer (*KbRowParser) (const PGresult *res, int row);

/* For the callback of a query that looks one thing up: answers task with
 * parse (row 0) (freed with free_func) when there is exactly one row,
 * KB_ERROR_NOT_FOUND with the message not_found otherwise, or the query's
 * error.  task is borrowed. */
void kb_query_return_row (GTask *task, GAsyncResult *result, KbRowParser parse,
                          GDestroyNotify free_func, const gchar *not_found);

/* Runs a statement and parses every row with parse into a GPtrArray
 * (element free func free_func); finish with kb_store_rows_finish. */
void kb_store_rows_async (KbStore *store, const gchar *statement, guint n_params,
                          const gchar *const *params, KbRowParser parse, GDestroyNotify free_func,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
GPtrArray *kb_store_rows_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- bookings after a change (ops-book.c) ----------------------------- */

/* Reads booking id and answers task with it (KbBooking, kb_booking_free),
 * or KB_ERROR_NOT_FOUND "the booking is gone".  Takes the caller's
 * reference on task. */
void kb_booking_fetch (KbStore *store, gint64 id, GTask *task);

/* ---- secrets (secret.c) ----------------------------------------------- */

/* A short human booking reference "XXX-XXX" from an alphabet without
 * look-alike characters.  Transfer full. */
gchar *kb_reference_new (void);
/* A printable random password of length n.  Transfer full. */
gchar *kb_password_new (guint length);
/* A 6-digit kiosk code.  Transfer full. */
gchar *kb_kiosk_code_new (void);
/* argon2id with light limits (the code is short; the hash only has to make
 * a stolen table expensive).  Blocking (~10 ms): call from a thread. */
gchar *kb_kiosk_code_hash (const gchar *code);
/* sodium_init() once; safe from any thread. */
void kb_sodium_init (void);
/* Overwrites a secret string (password, kiosk code) with zeros and frees
 * it; NULL is fine. */
void kb_secret_free (gchar *secret);
/* Runs func in a worker thread on task's task data, then done on the
 * calling thread's main context with task as user_data (the caller's
 * reference on task passes to done).  For argon2, which blocks ~10 ms or
 * more: the thread reads the task data and the main thread must not touch
 * it until done runs.  No cancellable: a cancelled hash or verify would
 * read as a failure rather than a cancellation. */
void kb_task_run_blocking (GTask *task, GTaskThreadFunc func, GAsyncReadyCallback done);

G_END_DECLS
