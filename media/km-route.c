/* km-route.c — who receives what: every stream of every participant goes
 * to one slot of each other participant; missing slots become a
 * renegotiate request.  Runs on the main thread after every change. */
#include "media/km-private.h"

static KmSlot *
slot_fed_by (KmParticipant *p, KmFwdSource *fwd)
{
  for (guint i = 0; i < p->slots->len; i++) {
    KmSlot *slot = g_ptr_array_index (p->slots, i);
    if (km_fwd_sink_source (slot->fwd) == fwd)
      return slot;
  }
  return NULL;
}

static KmSlot *
free_slot (KmParticipant *p, KmKind kind)
{
  for (guint i = 0; i < p->slots->len; i++) {
    KmSlot *slot = g_ptr_array_index (p->slots, i);
    if (slot->kind == kind && slot->usable && !km_fwd_sink_source (slot->fwd))
      return slot;
  }
  return NULL;
}

typedef struct {
  guint receiver, sender, stream;
  gchar *mid;
  KmKind kind;
} KmRouted;

static void
routed_free (gpointer data)
{
  KmRouted *r = data;
  g_free (r->mid);
  g_free (r);
}

static void
deliver_routed (KmMeeting *m, gpointer data)
{
  KmRouted *r = data;
  if (m->callbacks.routed)
    m->callbacks.routed (r->receiver, r->mid, r->kind == KM_KIND_VIDEO ? "video" : "audio",
                         r->sender, r->stream, m->user_data);
}

static guint
mline_of (KmSource *src)
{
  guint mline = G_MAXUINT;
  if (src->transceiver)
    g_object_get (src->transceiver, "mlineindex", &mline, NULL);
  return mline;
}

/* Tells signaling whose stream a slot now carries; queued, so that it
 * never runs inside a km_* call and comes after the answer. */
static void
announce (KmMeeting *m, KmParticipant *to, KmSlot *slot, KmParticipant *from, KmSource *src)
{
  KmRouted *r = g_new0 (KmRouted, 1);
  g_object_get (slot->transceiver, "mid", &r->mid, NULL);
  if (!r->mid) {
    routed_free (r);
    return;
  }
  r->receiver = to->id;
  r->sender = from->id;
  r->kind = km_fwd_source_kind (src->fwd);
  /* 0 is what arrives on the sender's first m-line of the kind (a page's
   * camera or microphone: its first video m-line is the camera's even when
   * it has none, so a share is never taken for one); the rest are numbered
   * from 1 in m-line order. */
  guint mline = mline_of (src), first = G_MAXUINT;
  for (guint i = 0; i < from->slots->len; i++) {
    KmSlot *slot = g_ptr_array_index (from->slots, i);
    guint m = G_MAXUINT;
    if (slot->kind == r->kind && slot->transceiver)
      g_object_get (slot->transceiver, "mlineindex", &m, NULL);
    first = MIN (first, m);
  }
  if (mline != first) {
    r->stream = 1;
    for (guint i = 0; i < from->sources->len; i++) {
      KmSource *other = g_ptr_array_index (from->sources, i);
      guint m = mline_of (other);
      r->stream +=
          other != src && km_fwd_source_kind (other->fwd) == r->kind && m != first && m < mline;
    }
  }
  km_post (m, deliver_routed, r, routed_free);
}

/* Feeds every stream of the others into p; returns how many slots of each
 * kind p needs in all. */
static void
route_to (KmMeeting *m, KmParticipant *p, guint need[2], guint missing[2])
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, m->participants);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    KmParticipant *from = value;
    if (from == p)
      continue;
    for (guint i = 0; i < from->sources->len; i++) {
      KmSource *src = g_ptr_array_index (from->sources, i);
      if (!src->active)
        continue;
      KmKind kind = km_fwd_source_kind (src->fwd);
      need[kind]++;
      if (slot_fed_by (p, src->fwd))
        continue;
      KmSlot *slot = free_slot (p, kind);
      if (!slot) {
        missing[kind]++;
        continue;
      }
      g_autoptr (GError) error = NULL;
      if (!km_fwd_connect (src->fwd, slot->fwd, &error)) {
        GST_WARNING ("%s → %s: %s", from->name, p->name, error->message);
        continue;
      }
      GST_INFO ("%s → %s: %s on %s, ssrc %u", from->name, p->name, km_fwd_source_codec (src->fwd),
                GST_PAD_NAME (slot->pad), km_fwd_sink_ssrc (slot->fwd));
      announce (m, p, slot, from, src);
      /* The receiver can only start decoding at a keyframe. */
      km_fwd_source_request_keyframe (src->fwd);
    }
  }
}

typedef struct {
  KmMeeting *meeting;
  guint id;
} KmAskCtx;

/* Fires a little after a slot went missing, so that the audio and video of
 * a newcomer (and anything else arriving together) make one request, and
 * never while an offer from this participant is being answered. */
static gboolean
on_ask_timer (gpointer data)
{
  KmAskCtx *ctx = data;
  KmMeeting *m = ctx->meeting;
  KmParticipant *p = km_meeting_lookup (m, ctx->id);
  if (!p)
    return G_SOURCE_REMOVE;
  p->ask_timer = 0;
  if (p->negotiating || m->closed)
    return G_SOURCE_REMOVE; /* the answer routes again */
  guint need[2] = { 0, 0 }, missing[2] = { 0, 0 };
  route_to (m, p, need, missing);
  if (!missing[KM_KIND_AUDIO] && !missing[KM_KIND_VIDEO])
    return G_SOURCE_REMOVE;
  if (p->asked_audio == need[KM_KIND_AUDIO] && p->asked_video == need[KM_KIND_VIDEO])
    return G_SOURCE_REMOVE;
  p->asked_audio = need[KM_KIND_AUDIO];
  p->asked_video = need[KM_KIND_VIDEO];
  GST_INFO ("%s: asking for %u audio, %u video slots", p->name, need[KM_KIND_AUDIO],
            need[KM_KIND_VIDEO]);
  if (m->callbacks.renegotiate)
    m->callbacks.renegotiate (p->id, need[KM_KIND_AUDIO], need[KM_KIND_VIDEO], m->user_data);
  return G_SOURCE_REMOVE;
}

void
km_route (KmMeeting *m)
{
  if (m->closed)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, m->participants);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    KmParticipant *p = value;
    if (!p->answered)
      continue;
    guint need[2] = { 0, 0 }, missing[2] = { 0, 0 };
    route_to (m, p, need, missing);
    if ((!missing[KM_KIND_AUDIO] && !missing[KM_KIND_VIDEO]) || p->negotiating || p->ask_timer)
      continue;
    KmAskCtx *ctx = g_new (KmAskCtx, 1);
    ctx->meeting = m;
    ctx->id = p->id;
    p->ask_timer = g_timeout_add_full (G_PRIORITY_DEFAULT, 150, on_ask_timer, ctx, g_free);
  }
}
