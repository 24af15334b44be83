/* row.c — parameters into and rows out of libpq: text in, text out, read
 * by column name so that a query may add columns without breaking others. */
#include "kb-private.h"

#include <stdlib.h>
#include <string.h>

gchar *
kb_param_token_hash (const gchar *token)
{
  guint8 hash[KB_TOKEN_HASH_LEN];
  GString *out = g_string_sized_new (2 + 2 * KB_TOKEN_HASH_LEN);

  kb_token_hash (token, hash);
  g_string_append (out, "\\x");
  for (guint i = 0; i < KB_TOKEN_HASH_LEN; i++)
    g_string_append_printf (out, "%02x", hash[i]);
  return g_string_free (out, FALSE);
}

gchar *
kb_param_int64 (gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

/* A missing column is a bug in a query file, not a peer's doing: say which
 * and carry on with NULL/0 rather than crash the server. */
static int
column (const PGresult *res, const gchar *name)
{
  int col = PQfnumber (res, name);

  if (col < 0)
    g_critical ("query result has no column %s", name);
  return col;
}

const gchar *
kb_row_text (const PGresult *res, int row, const gchar *name)
{
  int col = column (res, name);

  if (col < 0 || PQgetisnull (res, row, col))
    return NULL;
  return PQgetvalue (res, row, col);
}

gint64
kb_row_int64 (const PGresult *res, int row, const gchar *name)
{
  const gchar *text = kb_row_text (res, row, name);

  return text ? g_ascii_strtoll (text, NULL, 10) : 0;
}

gboolean
kb_row_bool (const PGresult *res, int row, const gchar *name)
{
  const gchar *text = kb_row_text (res, row, name);

  return text && text[0] == 't';
}

KbBooking *
kb_booking_from_row (const PGresult *res, int row)
{
  KbBooking *b = g_new0 (KbBooking, 1);

  b->id = kb_row_int64 (res, row, "id");
  b->reference = g_strdup (kb_row_text (res, row, "reference"));
  b->seeker_name = g_strdup (kb_row_text (res, row, "seeker_name"));
  b->service_name = g_strdup (kb_row_text (res, row, "service_name"));
  b->language = g_strdup (kb_row_text (res, row, "language"));
  b->caseworker_id = kb_row_int64 (res, row, "caseworker_id");
  b->caseworker_name = g_strdup (kb_row_text (res, row, "caseworker_name"));
  b->office_id = kb_row_int64 (res, row, "office_id");
  b->office_name = g_strdup (kb_row_text (res, row, "office_name"));
  b->office_tz = g_strdup (kb_row_text (res, row, "office_tz"));
  b->starts_at = kb_row_int64 (res, row, "starts_us");
  /* Only the queue's query has it (migration 015). */
  if (PQfnumber (res, "seeker_present_on") >= 0)
    b->seeker_present_on = g_strdup (kb_row_text (res, row, "seeker_present_on"));
  b->ends_at = kb_row_int64 (res, row, "ends_us");
  b->join_before_s = (gint) kb_row_int64 (res, row, "join_before_s");
  b->join_after_s = (gint) kb_row_int64 (res, row, "join_after_s");
  if (!kb_status_from_string (kb_row_text (res, row, "status"), &b->status))
    b->status = KB_STATUS_CANCELLED; /* unknown label: refuse entry */
  b->checked_in_at = kb_row_int64 (res, row, "checked_in_us");
  b->admitted_at = kb_row_int64 (res, row, "admitted_us");
  b->ended_at = kb_row_int64 (res, row, "ended_us");
  b->sequence = (gint) kb_row_int64 (res, row, "sequence");
  b->interpreter = kb_row_bool (res, row, "interpreter");
  b->service_id = kb_row_int64 (res, row, "service_id");
  b->office_address = g_strdup (kb_row_text (res, row, "office_address"));
  b->created_at = kb_row_int64 (res, row, "created_us");
  b->cancelled_at = kb_row_int64 (res, row, "cancelled_us");
  b->cancel_reason = g_strdup (kb_row_text (res, row, "cancel_reason"));
  b->seeker_contact = g_strdup (kb_row_text (res, row, "seeker_contact"));
  /* Only queries that read booking_view whole (migration 013) carry it. */
  if (PQfnumber (res, "kiosk_locked") >= 0)
    b->kiosk_locked = kb_row_bool (res, row, "kiosk_locked");
  return b;
}

KbCaseworker *
kb_caseworker_from_row (const PGresult *res, int row)
{
  KbCaseworker *c = g_new0 (KbCaseworker, 1);

  c->id = kb_row_int64 (res, row, "id");
  c->name = g_strdup (kb_row_text (res, row, "name"));
  c->email = g_strdup (kb_row_text (res, row, "email"));
  c->office_id = kb_row_int64 (res, row, "office_id");
  c->office_name = g_strdup (kb_row_text (res, row, "office_name"));
  c->office_tz = g_strdup (kb_row_text (res, row, "office_tz"));
  c->is_admin = kb_row_bool (res, row, "is_admin");
  return c;
}

/* ---- one row ------------------------------------------------------------- */

void
kb_query_return_row (GTask *task, GAsyncResult *result, KbRowParser parse, GDestroyNotify free_func,
                     const gchar *not_found)
{
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  if (PQntuples (res) == 1)
    g_task_return_pointer (task, parse (res, 0), free_func);
  else
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND, "%s", not_found);
  PQclear (res);
}

/* ---- many rows ----------------------------------------------------------- */

typedef struct {
  KbRowParser parse;
  GDestroyNotify free_func;
} Rows;

static void
rows_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Rows *r = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);
  GPtrArray *list;

  if (res == NULL)
    return;
  list = g_ptr_array_new_full (PQntuples (res), r->free_func);
  for (int i = 0; i < PQntuples (res); i++)
    g_ptr_array_add (list, r->parse (res, i));
  PQclear (res);
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

void
kb_store_rows_async (KbStore *store, const gchar *statement, guint n_params,
                     const gchar *const *params, KbRowParser parse, GDestroyNotify free_func,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Rows *r = g_new0 (Rows, 1);

  g_task_set_source_tag (task, kb_store_rows_async);
  r->parse = parse;
  r->free_func = free_func;
  g_task_set_task_data (task, r, g_free);
  kb_store_query_async (store, statement, n_params, params, cancellable, rows_done, task);
}

GPtrArray *
kb_store_rows_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
