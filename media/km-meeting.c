/* km-meeting.c — a meeting: one pipeline, its participants, the bus, and
 * the routing of every participant's streams to every other participant. */
#include "media/km-private.h"

static void
participant_free (gpointer data)
{
  KmParticipant *p = data;
  g_clear_handle_id (&p->ask_timer, g_source_remove);
  km_peer_teardown (p);
  g_free (p->label);
  g_free (p->name);
  g_free (p);
}

void
km_meeting_dump (KmMeeting *meeting, const gchar *why)
{
  g_autofree gchar *file = g_strdup_printf ("kontor-%s-%s", meeting->name, why);
  GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (meeting->pipeline), GST_DEBUG_GRAPH_SHOW_ALL, file);
}

/* The participant an element belongs to (elements carry its id), or 0. */
static guint
owner_of (GstObject *obj)
{
  for (; obj; obj = GST_OBJECT_PARENT (obj)) {
    gpointer id = g_object_get_data (G_OBJECT (obj), "km-participant");
    if (id)
      return GPOINTER_TO_UINT (id);
  }
  return 0;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  KmMeeting *meeting = data;
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *debug = NULL;
    gst_message_parse_error (msg, &error, &debug);
    km_log_meeting (G_LOG_LEVEL_WARNING, meeting, "media %s: error from %s: %s (%s)", meeting->name,
                    GST_OBJECT_NAME (msg->src), error->message, debug ? debug : "");
    km_meeting_dump (meeting, "error");
    guint id = owner_of (msg->src);
    if (id && km_meeting_lookup (meeting, id) && meeting->callbacks.failed) {
      g_autoptr (GError) e = g_error_new (KM_ERROR, KM_ERROR_PIPELINE, "%s", error->message);
      meeting->callbacks.failed (id, e, meeting->user_data);
    }
    break;
  }
  case GST_MESSAGE_WARNING: {
    g_autoptr (GError) error = NULL;
    gst_message_parse_warning (msg, &error, NULL);
    GST_WARNING ("%s: warning from %s: %s", meeting->name, GST_OBJECT_NAME (msg->src),
                 error->message);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

/* Elements webrtcbin adds for playback that a relay must not pay for:
 * a clocksync (sync=TRUE) on every stream, which waits for the clock; an
 * rtpstorage per session, which keeps every received packet for
 * latency + 50 ms for FEC recovery, and kontor negotiates no FEC; and
 * the receive queues, a thread hand-off per packet (km-recvpath.c).
 * Called on whatever thread adds the element. */
static void
on_deep_element_added (GstBin *bin, GstBin *sub, GstElement *element, gpointer data)
{
  GstElementFactory *f = gst_element_get_factory (element);
  const gchar *factory = f ? GST_OBJECT_NAME (f) : "";
  if (g_strcmp0 (factory, "clocksync") == 0)
    g_object_set (element, "sync", FALSE, NULL);
  else if (g_strcmp0 (factory, "rtpstorage") == 0)
    g_object_set (element, "size-time", (guint64) 0, NULL);
  else
    km_recvpath_element_added (element);
}

KmMeeting *
km_meeting_new (const gchar *name, const KmCallbacks *callbacks, gpointer user_data, GError **error)
{
  if (!km_global.initialised) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "km_init not called");
    return NULL;
  }
  KmMeeting *meeting = g_atomic_rc_box_new0 (KmMeeting);
  g_mutex_init (&meeting->lock);
  g_queue_init (&meeting->events);
  meeting->name = g_strdup (name && *name ? name : "meeting");
  meeting->callbacks = *callbacks;
  meeting->user_data = user_data;
  meeting->participants = g_hash_table_new_full (NULL, NULL, NULL, participant_free);
  meeting->next_id = 1;
  g_autofree gchar *pname = g_strdup_printf ("meeting-%s", meeting->name);
  meeting->pipeline = GST_PIPELINE (gst_object_ref_sink (gst_pipeline_new (pname)));
  g_signal_connect (meeting->pipeline, "deep-element-added", G_CALLBACK (on_deep_element_added),
                    NULL);
  km_stats_start (meeting);
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (meeting->pipeline);
  meeting->bus_watch = gst_bus_add_watch (bus, on_bus_message, meeting);
  if (gst_element_set_state (GST_ELEMENT (meeting->pipeline), GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "meeting %s: pipeline does not start",
                 meeting->name);
    km_meeting_free (meeting);
    return NULL;
  }
  return meeting;
}

void
km_meeting_free (KmMeeting *meeting)
{
  if (!meeting)
    return;
  km_dispatch_clear (meeting); /* also marks it closed */
  g_clear_handle_id (&meeting->stats_timer, g_source_remove);
  g_clear_handle_id (&meeting->bus_watch, g_source_remove);
  g_hash_table_remove_all (meeting->participants);
  gst_element_set_state (GST_ELEMENT (meeting->pipeline), GST_STATE_NULL);
  g_clear_pointer (&meeting->participants, g_hash_table_unref);
  g_clear_object (&meeting->pipeline);
  /* Events posted while stopping were dropped; late promise replies only
   * hold references. */
  km_dispatch_clear (meeting);
  km_meeting_unref (meeting);
}

guint
km_meeting_add_participant (KmMeeting *meeting, const gchar *label, GError **error)
{
  KmParticipant *p = g_new0 (KmParticipant, 1);
  p->meeting = meeting;
  p->id = meeting->next_id++;
  p->label = g_strdup (label && *label ? label : "participant");
  p->name = g_strdup_printf ("%s-%s-%u", meeting->name, p->label, p->id);
  g_hash_table_insert (meeting->participants, GUINT_TO_POINTER (p->id), p);
  if (!km_peer_setup (p, error)) {
    g_hash_table_remove (meeting->participants, GUINT_TO_POINTER (p->id));
    return 0;
  }
  g_object_set_data (G_OBJECT (p->webrtc), "km-participant", GUINT_TO_POINTER (p->id));
  GST_INFO ("%s: added", p->name);
  return p->id;
}

void
km_meeting_remove_participant (KmMeeting *meeting, guint participant)
{
  if (!g_hash_table_remove (meeting->participants, GUINT_TO_POINTER (participant)))
    return;
  km_route (meeting);
}

static KmParticipant *
lookup_or_error (KmMeeting *meeting, guint id, GError **error)
{
  KmParticipant *p = km_meeting_lookup (meeting, id);
  if (!p)
    g_set_error (error, KM_ERROR, KM_ERROR_NO_PARTICIPANT, "no participant %u in meeting %s", id,
                 meeting->name);
  return p;
}

gboolean
km_meeting_set_remote_description (KmMeeting *meeting, guint participant, const gchar *type,
                                   const gchar *sdp, GError **error)
{
  KmParticipant *p = lookup_or_error (meeting, participant, error);
  if (!p)
    return FALSE;
  if (g_strcmp0 (type, "offer") != 0 || !sdp) {
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "only offers are accepted");
    return FALSE;
  }
  return km_peer_set_offer (p, sdp, error);
}

gboolean
km_meeting_add_remote_candidate (KmMeeting *meeting, guint participant, guint mline_index,
                                 const gchar *candidate, GError **error)
{
  KmParticipant *p = lookup_or_error (meeting, participant, error);
  return p && km_peer_add_candidate (p, mline_index, candidate, error);
}

guint
km_meeting_participant_count (KmMeeting *meeting)
{
  return g_hash_table_size (meeting->participants);
}
