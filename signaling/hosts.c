/* hosts.c — the meetings this node hosts, as the other nodes see them
 * (migration 015).  A room that opens here holds a lease on its meeting in
 * PostgreSQL; a heartbeat renews every lease a third of its length before
 * it runs out, with the job seeker's presence; a room that closes gives its
 * lease back.  A node that dies stops renewing and another takes its
 * meetings over once the leases have run out (handlers.c claims them).
 *
 * It also listens for other nodes' news: every change a caseworker's queue
 * shows is announced on the channel kontor_queue (payload: the caseworker's
 * id) and pushed to that caseworker's sockets here through
 * server->seeker_moved, as a local arrival is.
 *
 * Writes for one meeting go one at a time: two presence updates on two pool
 * connections could otherwise land in the wrong order. */

#include "signaling/ks-room.h"

#include <string.h>

typedef struct {
  KsServer *server;
  gint64 booking_id;
  gboolean present;   /* the job seeker is in the room now */
  gboolean written;   /* what the database was last told */
  gboolean in_flight; /* a presence update is on its way */
  gboolean released;  /* the room closed: give the lease back */
} Hosted;

static void presence_write (Hosted *h);

static void
hosted_free (Hosted *h)
{
  g_free (h);
}

/* data: the server, which may be gone when a cancelled query comes back. */
static void
released (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  if (!kb_host_command_finish (NULL, result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("giving back a meeting's lease failed (it runs out by itself): %s", error->message);
}

/* Gives h's lease back; h is no longer in server->hosted (transfer full). */
static void
release (Hosted *h)
{
  KsServer *server = h->server;
  if (server->store)
    kb_host_release_async (server->store, h->booking_id, server->config->node_name,
                           server->cancellable, released, server);
  hosted_free (h);
}

static void
presence_written (GObject *source, GAsyncResult *result, gpointer data)
{
  Hosted *h = data;
  g_autoptr (GError) error = NULL;
  gboolean ok = kb_host_command_finish (NULL, result, &error);

  h->in_flight = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    hosted_free (h); /* the server is going: out of the table already */
    return;
  }
  if (!ok)
    /* The heartbeat carries the presence as well: it will be right then. */
    g_message ("presence of booking %" G_GINT64_FORMAT " not written: %s", h->booking_id,
               error->message);
  else
    h->written = h->present;
  if (h->released)
    release (h);
  else if (ok && h->written != h->present)
    presence_write (h);
}

static void
presence_write (Hosted *h)
{
  KsServer *server = h->server;
  if (h->in_flight || !server->store)
    return;
  h->in_flight = TRUE;
  kb_host_presence_async (server->store, h->booking_id, server->config->node_name, h->present,
                          server->cancellable, presence_written, h);
}

void
ks_host_hold (KsServer *server, gint64 booking_id)
{
  if (!server->hosted || g_hash_table_contains (server->hosted, &booking_id))
    return;
  Hosted *h = g_new0 (Hosted, 1);
  h->server = server;
  h->booking_id = booking_id;
  g_hash_table_insert (server->hosted, &h->booking_id, h);
}

void
ks_host_release (KsServer *server, gint64 booking_id)
{
  Hosted *h = server->hosted ? g_hash_table_lookup (server->hosted, &booking_id) : NULL;
  if (!h)
    return;
  g_hash_table_steal (server->hosted, &booking_id);
  if (h->in_flight)
    h->released = TRUE; /* after the write in flight */
  else
    release (h);
}

void
ks_host_presence (KsServer *server, gint64 booking_id, gboolean present)
{
  Hosted *h = server->hosted ? g_hash_table_lookup (server->hosted, &booking_id) : NULL;
  if (!h || h->present == present)
    return;
  h->present = present;
  if (h->written != present)
    presence_write (h);
}

/* ---- the heartbeat ---------------------------------------------------- */

static void
renewed (GObject *source, GAsyncResult *result, gpointer data)
{
  KsServer *server = data;
  g_autoptr (GError) error = NULL;
  /* No store: the server may be gone when a cancelled query comes back. */
  g_autoptr (GArray) held = kb_host_renew_finish (NULL, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  server->renewing = FALSE;
  if (!held) {
    /* Nothing is lost yet: the lease runs for two more beats. */
    g_warning ("renewing this node's meeting leases failed: %s", error->message);
    return;
  }
  g_autoptr (GHashTable) ok = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < held->len; i++)
    g_hash_table_add (ok, &g_array_index (held, KbHeld, i).booking_id);
  /* A meeting not renewed is another node's now (this one was cut off
   * from the database longer than a lease): its pages must go there. */
  g_autoptr (GArray) lost = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < server->renew_sent->len; i++) {
    gint64 *id = &g_array_index (server->renew_sent, gint64, i);
    if (!g_hash_table_contains (ok, id) && g_hash_table_contains (server->hosted, id))
      g_array_append_val (lost, *id);
  }
  for (guint i = 0; i < lost->len; i++) {
    gint64 id = g_array_index (lost, gint64, i);
    g_warning ("booking %" G_GINT64_FORMAT ": another node holds this meeting now", id);
    if (server->host_lost)
      server->host_lost (server, id);
  }
  /* A booking that ended while its room is open here (the sweep closed
   * it, a caseworker cancelled it, on this node or another): the people
   * in the room are told, as a reload would tell them. */
  for (guint i = 0; i < held->len; i++) {
    const KbHeld *h = &g_array_index (held, KbHeld, i);
    gboolean over = h->status == KB_STATUS_COMPLETED || h->status == KB_STATUS_CANCELLED
                    || h->status == KB_STATUS_NO_SHOW || h->status == KB_STATUS_NOT_ADMITTED;
    if (over && server->booking_over && g_hash_table_contains (server->hosted, &h->booking_id))
      server->booking_over (server, h->booking_id, h->status);
  }
}

static gboolean
heartbeat (gpointer data)
{
  KsServer *server = data;
  if (server->renewing || !server->store)
    return G_SOURCE_CONTINUE;
  guint n = g_hash_table_size (server->hosted);
  if (n == 0)
    return G_SOURCE_CONTINUE;
  g_autofree gint64 *ids = g_new (gint64, n);
  g_autofree gboolean *present = g_new (gboolean, n);
  GHashTableIter it;
  gpointer value;
  guint i = 0;
  g_hash_table_iter_init (&it, server->hosted);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    ids[i] = ((Hosted *) value)->booking_id;
    present[i++] = ((Hosted *) value)->present;
  }
  g_array_set_size (server->renew_sent, 0);
  g_array_append_vals (server->renew_sent, ids, n);
  server->renewing = TRUE;
  kb_host_renew_async (server->store, server->config->node_name, ids, present, n,
                       server->config->lease_s, server->cancellable, renewed, server);
  return G_SOURCE_CONTINUE;
}

/* ---- other nodes' news -------------------------------------------------- */

static void
notified (const gchar *payload, gpointer data)
{
  KsServer *server = data;
  if (!server->seeker_moved)
    return;
  if (payload) {
    gint64 caseworker_id = g_ascii_strtoll (payload, NULL, 10);
    if (caseworker_id > 0)
      server->seeker_moved (server, caseworker_id);
    return;
  }
  /* (Re)connected: what was missed is unknown, so every queue here is
   * sent again. */
  g_autoptr (GHashTable) done = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (GList *l = server->clients; l; l = l->next) {
    KsClient *c = l->data;
    if (c->role == KS_ROLE_CASEWORKER && c->caseworker
        && !g_hash_table_contains (done, &c->caseworker->id)) {
      g_hash_table_add (done, &c->caseworker->id);
      server->seeker_moved (server, c->caseworker->id);
    }
  }
}

static void
forgotten (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  if (!kb_host_command_finish (NULL, result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("could not drop this node's old leases (they run out by themselves): %s",
               error->message);
}

void
ks_hosts_start (KsServer *server)
{
  server->hosted =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) hosted_free);
  server->renew_sent = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!server->store)
    return;
  kb_host_forget_node_async (server->store, server->config->node_name, server->cancellable,
                             forgotten, server);
  guint beat_ms = MAX (server->config->lease_s * 1000 / 3, 500);
  server->heartbeat = g_timeout_add (beat_ms, heartbeat, server);
  server->listener = kb_listener_new (server->config->database, "kontor_queue", notified, server);
}

void
ks_hosts_stop (KsServer *server)
{
  g_clear_handle_id (&server->heartbeat, g_source_remove);
  g_clear_pointer (&server->listener, kb_listener_free);
  /* Updates in flight free their own records when cancelled. */
  if (server->hosted) {
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init (&it, server->hosted);
    while (g_hash_table_iter_next (&it, NULL, &value))
      if (((Hosted *) value)->in_flight)
        g_hash_table_iter_steal (&it);
  }
  g_clear_pointer (&server->hosted, g_hash_table_unref);
  g_clear_pointer (&server->renew_sent, g_array_unref);
}
