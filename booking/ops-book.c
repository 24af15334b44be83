/* ops-book.c — making and changing bookings: book (named or any
 * caseworker), cancel by link or by a caseworker, move by link, and the
 * sweep that closes overdue bookings.  The rules and the retry over
 * caseworkers are in SQL (kb_book, kb_cancel, kb_move in
 * sql/002_rules.sql); here: secrets, parameters, results. */
#include <string.h>

#include "kb-private.h"

static void
fetched (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;

  kb_query_return_row (task, result, (KbRowParser) kb_booking_from_row,
                       (GDestroyNotify) kb_booking_free, "the booking is gone");
}

/* Every change (book, cancel, move, and reassign in admin.c) answers with
 * the booking as booking_view shows it afterwards. */
void
kb_booking_fetch (KbStore *store, gint64 id, GTask *task)
{
  g_autofree gchar *bid = kb_param_int64 (id);
  const gchar *params[] = { bid };
  GCancellable *cancellable = g_task_get_cancellable (task);

  kb_store_follow_up_async (store, "booking_by_id", 1, params, cancellable, fetched, task);
}

/* ---- book ------------------------------------------------------------------ */

typedef struct {
  KbStore *store;
  gint64 now;
  gint64 service_id, office_id, caseworker_id, starts_at;
  gchar *name, *contact, *language;
  gboolean interpreter;
  KbBookResult *result;
  gchar *kiosk_hash;
  guint tries; /* inserts sent (a new reference each) */
} Book;

/* References are short (they are read aloud), so two bookings may draw
 * the same one: 24^6 of them, and a node that has stored a million
 * bookings draws a taken one about once in 190.  A drawn reference that
 * is taken is drawn again; anything else that collides is a fault. */
#define BOOK_REFERENCE_TRIES 5

static void book_send (GTask *task);

static void
book_free (Book *b)
{
  g_free (b->name);
  g_free (b->contact);
  g_free (b->language);
  kb_book_result_free (b->result);
  g_free (b->kiosk_hash);
  g_free (b);
}

static void
book_fetched (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Book *b = g_task_get_task_data (task);
  GError *error = NULL;

  b->result->booking = g_task_propagate_pointer (G_TASK (result), &error);
  if (b->result->booking == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&b->result),
                           (GDestroyNotify) kb_book_result_free);
}

static void
book_inserted (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Book *b = g_task_get_task_data (task);
  GError *error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error);
  GCancellable *cancellable;
  GTask *read;
  gint64 id;

  if (res == NULL) {
    if (g_error_matches (error, KB_ERROR, KB_ERROR_INVALID)
        && strstr (error->message, "bookings_reference_key") && b->tries < BOOK_REFERENCE_TRIES) {
      g_debug ("book: reference taken, drawing another (%s)", error->message);
      g_error_free (error);
      book_send (g_steal_pointer (&task));
      return;
    }
    g_task_return_error (task, error);
    return;
  }
  id = kb_row_int64 (res, 0, "id");
  PQclear (res);
  cancellable = g_task_get_cancellable (task);
  read = g_task_new (NULL, cancellable, book_fetched, g_steal_pointer (&task));
  kb_booking_fetch (b->store, id, read);
}

static void
book_hash_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Book *b = data;

  g_task_return_pointer (task, kb_kiosk_code_hash (b->result->kiosk_code), g_free);
}

/* Sends the insert, with a newly drawn reference (transfer: task). */
static void
book_send (GTask *task)
{
  Book *b = g_task_get_task_data (task);
  g_autofree gchar *now = kb_param_int64 (b->now);
  g_autofree gchar *service = kb_param_int64 (b->service_id);
  g_autofree gchar *office = kb_param_int64 (b->office_id);
  g_autofree gchar *cw = b->caseworker_id > 0 ? kb_param_int64 (b->caseworker_id) : NULL;
  g_autofree gchar *start = kb_param_int64 (b->starts_at);
  g_autofree gchar *token_hash = kb_param_token_hash (b->result->token);
  const guint8 *key = kb_store_seal_key (b->store);
  g_autofree gchar *sealed = key ? kb_seal_token (key, b->result->token) : NULL;
  g_autofree gchar *reference = kb_reference_new ();
  const gchar *params[] = { now,     service,    office,      cw,
                            start,   reference,  token_hash,  b->kiosk_hash,
                            b->name, b->contact, b->language, b->interpreter ? "true" : "false",
                            sealed };

  b->tries++;
  kb_store_query_async (b->store, "book", G_N_ELEMENTS (params), params,
                        g_task_get_cancellable (task), book_inserted, task);
}

static void
book_hashed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Book *b = g_task_get_task_data (task);

  b->kiosk_hash = g_task_propagate_pointer (G_TASK (result), NULL);
  if (b->kiosk_hash == NULL) {
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_DATABASE, "out of memory hashing");
    return;
  }
  book_send (g_steal_pointer (&task));
}

void
kb_book_async (KbStore *store, const KbBookRequest *request, gint64 now, GCancellable *cancellable,
               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Book *b = g_new0 (Book, 1);

  g_task_set_source_tag (task, kb_book_async);
  b->store = store;
  b->now = now;
  b->service_id = request->service_id;
  b->office_id = request->office_id;
  b->caseworker_id = request->caseworker_id;
  b->starts_at = request->starts_at;
  b->name = g_strdup (request->seeker_name ? request->seeker_name : "");
  b->contact = g_strdup (request->seeker_contact ? request->seeker_contact : "");
  b->language = g_strdup (request->language ? request->language : "nb");
  b->interpreter = request->interpreter;
  b->result = g_new0 (KbBookResult, 1);
  b->result->token = kb_token_new ();
  b->result->kiosk_code = kb_kiosk_code_new ();
  g_task_set_task_data (task, b, (GDestroyNotify) book_free);

  /* The kiosk code's argon2 hash costs a worker thread tens of
   * milliseconds: not for a booking that cannot be stored now. */
  if (!kb_store_available (store)) {
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_UNAVAILABLE,
                             "book refused: the database is not reachable");
    g_object_unref (task);
    return;
  }
  kb_task_run_blocking (task, book_hash_thread, book_hashed);
}

KbBookResult *
kb_book_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- cancel and move: one function in SQL, then read the booking ---------- */

static void
outcome_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  KbStore *store = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);
  g_autofree gchar *outcome = NULL;
  gint64 id;

  if (res == NULL)
    return;
  outcome = g_strdup (kb_row_text (res, 0, "outcome"));
  id = kb_row_int64 (res, 0, "booking_id");
  PQclear (res);

  /* Another office's booking reads as no booking at all: booking ids are
   * counted, and the answer must not tell which exist. */
  if (g_strcmp0 (outcome, "ok") == 0)
    kb_booking_fetch (store, id, g_steal_pointer (&task));
  else if (g_strcmp0 (outcome, "state") == 0)
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_STATE,
                             "state: the booking can no longer be changed");
  else
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND, "no_booking: no such booking");
}

static void
outcome_async (KbStore *store, const gchar *statement, guint n, const gchar *const *params,
               gpointer tag, GCancellable *cancellable, GAsyncReadyCallback callback,
               gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, store, NULL);
  kb_store_query_async (store, statement, n, params, cancellable, outcome_done, task);
}

static KbBooking *
outcome_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kb_cancel_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *when = kb_param_int64 (now);
  g_autofree gchar *hash = kb_param_token_hash (token ? token : "");
  const gchar *params[] = { when, hash, NULL, NULL, NULL };

  outcome_async (store, "cancel", 5, params, kb_cancel_async, cancellable, callback, user_data);
}

KbBooking *
kb_cancel_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return outcome_finish (result, error);
}

void
kb_cancel_by_caseworker_async (KbStore *store, gint64 booking_id, gint64 caseworker_id,
                               const gchar *reason, gint64 now, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *when = kb_param_int64 (now);
  g_autofree gchar *bid = kb_param_int64 (booking_id);
  g_autofree gchar *cid = kb_param_int64 (caseworker_id);
  const gchar *params[] = { when, NULL, bid, cid, reason ? reason : "" };

  outcome_async (store, "cancel", 5, params, kb_cancel_by_caseworker_async, cancellable, callback,
                 user_data);
}

KbBooking *
kb_cancel_by_caseworker_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return outcome_finish (result, error);
}

void
kb_move_async (KbStore *store, const gchar *token, gint64 new_start, gint64 now,
               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *when = kb_param_int64 (now);
  g_autofree gchar *hash = kb_param_token_hash (token ? token : "");
  g_autofree gchar *start = kb_param_int64 (new_start);
  const gchar *params[] = { when, hash, start };

  outcome_async (store, "move", 3, params, kb_move_async, cancellable, callback, user_data);
}

KbBooking *
kb_move_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return outcome_finish (result, error);
}

/* ---- sweep ----------------------------------------------------------------- */

typedef struct {
  KbStore *store;
  gchar *now;
  gint64 closed;
} Sweep;

static void
sweep_free (Sweep *s)
{
  g_free (s->now);
  g_free (s);
}

static void
sweep_purged (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Sweep *s = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  PQclear (res);
  g_task_return_int (task, s->closed);
}

static void
sweep_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Sweep *s = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);
  GCancellable *cancellable = g_task_get_cancellable (task);
  const gchar *params[] = { s->now };

  if (res == NULL)
    return;
  s->closed = kb_row_int64 (res, 0, "n");
  PQclear (res);
  kb_store_query_async (s->store, "sessions_purge", 1, params, cancellable, sweep_purged,
                        g_steal_pointer (&task));
}

void
kb_sweep_async (KbStore *store, gint64 now, GCancellable *cancellable, GAsyncReadyCallback callback,
                gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Sweep *s = g_new0 (Sweep, 1);
  const gchar *params[1];

  g_task_set_source_tag (task, kb_sweep_async);
  s->store = store;
  s->now = kb_param_int64 (now);
  params[0] = s->now;
  g_task_set_task_data (task, s, (GDestroyNotify) sweep_free);
  kb_store_query_async (store, "close_overdue", 1, params, cancellable, sweep_done, task);
}

gint
kb_sweep_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  return (gint) g_task_propagate_int (G_TASK (result), error);
}
