/* km-dispatch.c — hands events from GStreamer threads to the main context,
 * in the order they were posted, and keeps the meeting alive meanwhile.
 *
 * One idle source per meeting drains a FIFO; g_main_context_invoke would
 * not guarantee that an answer reaches signaling before the candidates
 * gathered after it.
 */
#include "media/km-private.h"

typedef struct {
  KmEventFunc func;
  gpointer data;
  GDestroyNotify destroy;
} KmEvent;

static void
event_free (KmEvent *ev)
{
  if (ev->destroy)
    ev->destroy (ev->data);
  g_free (ev);
}

static void
meeting_clear (gpointer mem)
{
  KmMeeting *meeting = mem;
  g_mutex_clear (&meeting->lock);
  g_free (meeting->name);
}

KmMeeting *
km_meeting_ref (KmMeeting *meeting)
{
  return g_atomic_rc_box_acquire (meeting);
}

void
km_meeting_unref (KmMeeting *meeting)
{
  g_atomic_rc_box_release_full (meeting, meeting_clear);
}

static gboolean
dispatch (gpointer user_data)
{
  KmMeeting *meeting = user_data;
  /* Bounded: events posted while draining wait for the next round. */
  guint budget = 64;
  while (budget--) {
    g_mutex_lock (&meeting->lock);
    KmEvent *ev = g_queue_pop_head (&meeting->events);
    if (!ev) {
      g_clear_pointer (&meeting->dispatch, g_source_unref);
      g_mutex_unlock (&meeting->lock);
      return G_SOURCE_REMOVE;
    }
    g_mutex_unlock (&meeting->lock);
    if (!meeting->closed)
      ev->func (meeting, ev->data);
    event_free (ev);
  }
  return G_SOURCE_CONTINUE;
}

void
km_post (KmMeeting *meeting, KmEventFunc func, gpointer data, GDestroyNotify destroy)
{
  KmEvent *ev = g_new (KmEvent, 1);
  ev->func = func;
  ev->data = data;
  ev->destroy = destroy;
  g_mutex_lock (&meeting->lock);
  if (meeting->closed) {
    g_mutex_unlock (&meeting->lock);
    event_free (ev);
    return;
  }
  g_queue_push_tail (&meeting->events, ev);
  if (!meeting->dispatch) {
    meeting->dispatch = g_idle_source_new ();
    g_source_set_priority (meeting->dispatch, G_PRIORITY_DEFAULT);
    g_source_set_callback (meeting->dispatch, dispatch, km_meeting_ref (meeting),
                           (GDestroyNotify) km_meeting_unref);
    g_source_set_static_name (meeting->dispatch, "km-dispatch");
    g_source_attach (meeting->dispatch, NULL);
  }
  g_mutex_unlock (&meeting->lock);
}

void
km_dispatch_clear (KmMeeting *meeting)
{
  GQueue pending = G_QUEUE_INIT;
  GSource *source;
  g_mutex_lock (&meeting->lock);
  meeting->closed = TRUE;
  pending = meeting->events;
  g_queue_init (&meeting->events);
  source = g_steal_pointer (&meeting->dispatch);
  g_mutex_unlock (&meeting->lock);
  /* Destroying data may free GStreamer elements: do it unlocked. */
  g_queue_clear_full (&pending, (GDestroyNotify) event_free);
  if (source) {
    g_source_destroy (source);
    g_source_unref (source);
  }
}
