/* api-audit.c — GET /api/v1/admin/audit: an administrator reads or exports
 * the audit log of an office (docs/api.md "The audit log").  The log
 * itself is written by the database, in the same statement as each
 * action; nothing here changes it. */

#include "booking/booking-admin.h"
#include "signaling/ks-handlers.h"

#include <string.h>

#define MAX_ROWS 5000

typedef struct {
  gint64 office, caseworker;
  gchar *from, *to;
  gboolean csv;
} AuditArgs;

static void
audit_args_free (gpointer p)
{
  AuditArgs *a = p;
  g_free (a->from);
  g_free (a->to);
  g_free (a);
}

/* One CSV cell: quoted when it must be, and never read as a formula by a
 * spreadsheet (a reason typed by a caseworker could start with "="). */
static void
csv_cell (GString *out, const gchar *text)
{
  text = text ? text : "";
  gboolean formula = strchr ("=+-@\t\r", text[0]) && text[0];
  g_string_append_c (out, '"');
  if (formula)
    g_string_append_c (out, '\'');
  for (const gchar *p = text; *p; p++) {
    if (*p == '"')
      g_string_append_c (out, '"');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

static void
audit_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = kb_audit_list_finish (r->server->store, result, &error);
  AuditArgs *a = r->step;
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  gboolean truncated = rows->len > MAX_ROWS;
  guint n = MIN (rows->len, MAX_ROWS);

  if (a->csv) {
    GString *csv = g_string_new ("id,at,caseworker_id,caseworker,action,booking_id,details\r\n");
    for (guint i = 0; i < n; i++) {
      const KbAuditEntry *e = g_ptr_array_index (rows, i);
      g_autofree gchar *at = ks_json_time (e->at);
      g_string_append_printf (csv, "%" G_GINT64_FORMAT ",%s,", e->id, at);
      if (e->caseworker_id)
        g_string_append_printf (csv, "%" G_GINT64_FORMAT, e->caseworker_id);
      g_string_append_c (csv, ',');
      csv_cell (csv, e->caseworker_name);
      g_string_append_c (csv, ',');
      csv_cell (csv, e->action);
      g_string_append_c (csv, ',');
      if (e->booking_id)
        g_string_append_printf (csv, "%" G_GINT64_FORMAT, e->booking_id);
      g_string_append_c (csv, ',');
      csv_cell (csv, e->details);
      g_string_append (csv, "\r\n");
    }
    ks_respond_text (r, 200, "text/csv; charset=utf-8", g_string_free (csv, FALSE));
    return;
  }
  json_t *entries = json_array ();
  for (guint i = 0; i < n; i++) {
    const KbAuditEntry *e = g_ptr_array_index (rows, i);
    json_t *details = json_loads (e->details ? e->details : "{}", 0, NULL);
    json_array_append_new (
        entries,
        json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t) e->id, "at",
                   ks_json_time_or_null (e->at), "caseworker_id",
                   e->caseworker_id ? json_integer (e->caseworker_id) : json_null (), "caseworker",
                   e->caseworker_name ? ks_json_text (e->caseworker_name) : json_null (), "action",
                   ks_json_text (e->action ? e->action : ""), "booking_id",
                   e->booking_id ? json_integer (e->booking_id) : json_null (), "details",
                   json_is_object (details) ? details : json_object ()));
    if (details && !json_is_object (details))
      json_decref (details);
  }
  ks_respond (r, 200,
              json_pack ("{s:I, s:o, s:b}", "office_id", (json_int_t) a->office, "entries", entries,
                         "truncated", truncated));
}

static void
audit_next (KsRequest *r, KbCaseworker *cw)
{
  AuditArgs *a = r->step;
  if (!cw->is_admin) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
    return;
  }
  if (!a->office)
    a->office = cw->office_id;
  kb_audit_list_async (r->server->store, cw->id, a->office, a->caseworker, a->from, a->to,
                       MAX_ROWS + 1, r->cancellable, audit_done, ks_request_ref (r));
}

void
ks_api_admin_audit (KsRequest *r)
{
  gint64 office, caseworker;
  g_autofree gchar *format = ks_request_arg (r, "format");
  if (!ks_request_office_or_reply (r, FALSE, &office))
    return;
  if (!ks_request_id_arg (r, "caseworker", TRUE, &caseworker)) {
    ks_respond_error (r, 400, "bad_request", "caseworker must be an id.");
    return;
  }
  AuditArgs *a = g_new0 (AuditArgs, 1);
  a->office = office;
  a->caseworker = caseworker;
  a->from = ks_request_arg (r, "from");
  a->to = ks_request_arg (r, "to");
  a->csv = format && g_str_equal (format, "csv");
  ks_request_set_step (r, a, audit_args_free);
  if (!a->from || !a->to) {
    ks_respond_error (r, 400, "bad_date", "from and to are required, as YYYY-MM-DD.");
    return;
  }
  ks_with_session (r, audit_next);
}
