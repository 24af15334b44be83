/* staff.c — a caseworker's authority on an open socket ends with its
 * session.  Every admit, end and no-show is checked against the live
 * session in the database (booking/queries/booking_admit.sql); this file
 * also closes the sockets themselves, so that a logged-out or deactivated
 * caseworker's page stops receiving the queue (names of job seekers) and
 * leaves its meeting. */

#include "signaling/ks-staff.h"

#include <string.h>

static gboolean
same_token (const gchar *a, const gchar *b)
{
  gsize n = strlen (a);
  return n == strlen (b) && kb_secret_equal (a, b, n);
}

static void
log_out (KsClient *c)
{
  g_info ("closing a caseworker socket: its session is over");
  ks_client_send_error (c, "not_logged_in", "Your session has ended. Please log in again.", TRUE);
}

void
ks_staff_log_out (KsServer *server, const gchar *token, gint64 caseworker_id)
{
  for (GList *l = server->clients; l; l = l->next) {
    KsClient *c = l->data;
    if (c->closing || !c->wsi)
      continue;
    if ((token && c->session_token && same_token (token, c->session_token))
        || (caseworker_id > 0 && c->role == KS_ROLE_CASEWORKER && c->caseworker
            && c->caseworker->id == caseworker_id))
      log_out (c);
  }
}

typedef struct {
  KsServer *server;
  GPtrArray *clients; /* KsClient*, a reference each */
} Recheck;

static void
recheck_free (Recheck *r)
{
  g_ptr_array_unref (r->clients);
  g_free (r);
}

static void
recheck_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Recheck *r = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gboolean *live = kb_sessions_live_finish (r->server->store, result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    r->server->rechecking = FALSE;
    if (error)
      g_warning ("checking caseworker sessions: %s", error->message);
    for (guint i = 0; live && i < r->clients->len; i++) {
      KsClient *c = g_ptr_array_index (r->clients, i);
      if (!live[i] && c->wsi && !c->closing)
        log_out (c);
    }
  }
  recheck_free (r);
}

void
ks_staff_recheck (KsServer *server)
{
  if (server->rechecking)
    return;
  Recheck *r = g_new0 (Recheck, 1);
  r->server = server;
  r->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) ks_client_unref);
  for (GList *l = server->clients; l; l = l->next) {
    KsClient *c = l->data;
    if (c->role == KS_ROLE_CASEWORKER && c->wsi && !c->closing)
      g_ptr_array_add (r->clients, ks_client_ref (c));
  }
  if (r->clients->len == 0) {
    recheck_free (r);
    return;
  }
  g_autoptr (GPtrArray) tokens = g_ptr_array_new ();
  for (guint i = 0; i < r->clients->len; i++)
    g_ptr_array_add (tokens, ((KsClient *) g_ptr_array_index (r->clients, i))->session_token);
  server->rechecking = TRUE;
  kb_sessions_live_async (server->store, (const gchar *const *) tokens->pdata, tokens->len,
                          kb_clock_now (), server->cancellable, recheck_done, r);
}
