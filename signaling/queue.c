/* queue.c — the caseworker's live queue: today's bookings with stored
 * status and live presence, pushed to every open caseworker page whenever
 * anything in it changes.  At most one query per page is in flight; changes
 * meanwhile are folded into one more. */

#include "signaling/ks-room.h"

json_t *
ks_queue_json (KsServer *server, const gchar *time_zone, const gchar *day, GPtrArray *bookings,
               gint64 now)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (time_zone ? time_zone : "UTC");
  if (!tz)
    tz = g_time_zone_new_utc ();
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
  g_autofree gchar *date = day ? g_strdup (day) : g_date_time_format (local, "%Y-%m-%d");

  json_t *list = json_array ();
  for (guint i = 0; i < bookings->len; i++) {
    const KbBooking *b = g_ptr_array_index (bookings, i);
    json_t *item = ks_json_booking (b);
    /* This node knows its own rooms best (the database may lag behind
     * a moment); another node's speak through the database (hosts.c). */
    const gchar *on = b->seeker_present_on;
    gboolean present = ks_room_seeker_present (server, b->id)
                       || (on && !g_str_equal (on, server->config->node_name));
    json_object_set_new (item, "present", json_boolean (present));
    json_array_append_new (list, item);
  }
  return json_pack ("{s:s, s:o}", "date", date, "bookings", list);
}

static void
queue_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsClient) client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) bookings = kb_queue_finish (client->server->store, result, &error);

  client->queue_pending = FALSE;
  if (!client->wsi || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  const gchar *message;
  const gchar *code = ks_db_trouble (error, &message);
  if (code) {
    ks_client_send_error (client, code, message, FALSE);
    return;
  }
  if (error) {
    g_warning ("queue for caseworker %" G_GINT64_FORMAT ": %s", client->caseworker->id,
               error->message);
    ks_client_send_error (client, "internal", "The queue could not be loaded.", FALSE);
    return;
  }
  json_t *msg = ks_queue_json (client->server, client->caseworker->office_tz, NULL, bookings,
                               kb_clock_now ());
  json_object_set_new (msg, "type", json_string ("queue"));
  ks_client_send (client, msg);

  if (client->queue_dirty) {
    client->queue_dirty = FALSE;
    ks_queue_send (client->server, client);
  }
}

void
ks_queue_send (KsServer *server, KsClient *client)
{
  if (client->queue_pending) {
    client->queue_dirty = TRUE;
    return;
  }
  client->queue_pending = TRUE;
  kb_queue_async (server->store, client->caseworker->id, kb_clock_now (), client->cancellable,
                  queue_done, ks_client_ref (client));
}

void
ks_queue_changed (KsServer *server, gint64 caseworker_id)
{
  for (GList *l = server->clients; l; l = l->next) {
    KsClient *c = l->data;
    if (c->role == KS_ROLE_CASEWORKER && c->caseworker->id == caseworker_id)
      ks_queue_send (server, c);
  }
}
