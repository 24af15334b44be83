/* km-private.h — state shared by the files of media/ (never installed). */
#pragma once

/* A log line about a meeting carries the name its caller gave it
 * (km_meeting_new: kontor gives the booking id) as the field MEETING_ID. */
#define km_log_meeting(level, meeting, ...) \
  g_log_structured (G_LOG_DOMAIN, (level), "MEETING_ID", (meeting)->name, "MESSAGE", __VA_ARGS__)

#include <gst/gst.h>
#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include <gst/webrtc/webrtc.h>

#include "media/media.h"
#include "media/km-forward.h"

GST_DEBUG_CATEGORY_EXTERN (km_debug);
#define GST_CAT_DEFAULT km_debug

/* km-init.c: the configuration given to km_init(). */
typedef struct {
  guint ice_min_port, ice_max_port;
  gchar *stun_server, *turn_server, *public_address;
  gchar **ice_addresses;      /* NULL: every local address */
  const KmCodec *video_codec; /* preferred, or NULL */
  gboolean initialised;
} KmGlobal;
extern KmGlobal km_global;

/* Whether the environment variable `name` is "1" (the switches that keep
 * a webrtcbin part kontor replaces, for comparisons); read once into
 * *cache, which starts at -1. */
gboolean km_env_switch (const gchar *name, gint *cache);
/* The first element made by factory anywhere inside bin (webrtcbin's
 * parts kontor reaches into), a new reference; NULL if none. */
GstElement *km_find_element (GstElement *bin, const gchar *factory);
/* The nick of the value of object's enum property (GStreamer's enums are
 * not all in public headers), or NULL. */
const gchar *km_enum_nick (GObject *object, const gchar *property);

/* km-iceagent.c: webrtcbin's ICE agent with every participant's libnice
 * agent on one thread of the process.  km_ice_agent_new returns a new
 * reference, which webrtcbin's "ice-agent" takes over (it does not add
 * one of its own). */
#define KM_TYPE_ICE_AGENT (km_ice_agent_get_type ())
G_DECLARE_FINAL_TYPE (KmIceAgent, km_ice_agent, KM, ICE_AGENT, GstWebRTCICE)
GstWebRTCICE *km_ice_agent_new (const gchar *name);

/* One outgoing slot: a transceiver of the participant that can carry one
 * stream from someone else. */
typedef struct {
  KmKind kind;
  GstWebRTCRTPTransceiver *transceiver;
  GstPad *pad; /* webrtcbin sink pad */
  KmFwdSink *fwd;
  gboolean usable; /* answered with a send direction */
} KmSlot;

/* One stream the participant sends. */
typedef struct {
  guint owner;
  GstPad *pad;                          /* webrtcbin src pad */
  GstWebRTCRTPTransceiver *transceiver; /* the m-line it arrives on */
  KmFwdSource *fwd;
  gboolean active; /* the browser still sends it */
} KmSource;

typedef struct _KmParticipant KmParticipant;
struct _KmParticipant {
  KmMeeting *meeting;
  guint id;
  gchar *label;
  gchar *name; /* label-id, element names */
  GstElement *webrtc;
  KmFwdPort *port;         /* its transport, for forwarding */
  GPtrArray *slots;        /* KmSlot* */
  GPtrArray *sources;      /* KmSource* */
  gboolean answered;       /* an answer was applied */
  gboolean negotiating;    /* an offer is being answered */
  gboolean answer_pending; /* its answer not yet delivered */
  GQueue held_candidates;  /* gathered before the answer */
  gboolean connected;
  gchar *remote_ufrag, *remote_pwd; /* of the last offer (km-ice.c) */
  guint ice_mline;                  /* m-line its candidates go with */
  guint asked_audio, asked_video;   /* last renegotiate request */
  guint ask_timer;                  /* pending renegotiate request */
  const KmCodec *video;             /* its video codec, once chosen */
  GstCaps *video_caps;              /* codec-preferences of its video */
  gulong handlers[8];
  guint n_handlers;
  /* stats, main thread */
  guint64 last_bytes_in, last_bytes_out;
  guint64 last_packets_in, last_lost_in;
  gint64 last_stats_time;
  gint64 path_lost_at; /* when path_lost was last called */
};

struct _KmMeeting {
  gchar *name;
  KmCallbacks callbacks;
  gpointer user_data;
  GstPipeline *pipeline;
  guint bus_watch;
  guint stats_timer;
  guint stats_ticks;
  GHashTable *participants; /* id → KmParticipant* */
  guint next_id;
  gboolean closed;
  /* events from GStreamer threads, delivered in order on the main context */
  GMutex lock;
  GQueue events;
  GSource *dispatch;
};

/* km-dispatch.c */
typedef void (*KmEventFunc) (KmMeeting *meeting, gpointer data);
/* Queues func(meeting, data) for the main context; destroy frees data
 * whether or not func ran.  Safe from any thread. */
void km_post (KmMeeting *meeting, KmEventFunc func, gpointer data, GDestroyNotify destroy);
KmMeeting *km_meeting_ref (KmMeeting *meeting);
void km_meeting_unref (KmMeeting *meeting);
/* Drops queued events without running them (meeting being freed). */
void km_dispatch_clear (KmMeeting *meeting);

/* km-peer.c: one participant's webrtcbin */
gboolean km_peer_setup (KmParticipant *p, GError **error);
void km_peer_teardown (KmParticipant *p);
gboolean km_peer_set_offer (KmParticipant *p, const gchar *sdp, GError **error);
gboolean km_peer_add_candidate (KmParticipant *p, guint mline, const gchar *candidate,
                                GError **error);
/* The checks km_peer_set_offer() makes before anything else: the text is
 * SDP with at least one audio or video m-line, each well formed
 * (km_sdp_check_offer); want[] gets how many of each kind.  NULL with
 * KM_ERROR_SDP otherwise; free the message. */
GstSDPMessage *km_peer_parse_offer (const gchar *sdp, guint want[2], GError **error);
/* The checks km_peer_add_candidate() makes: *text is what webrtcbin gets
 * ("candidate:…"), or NULL for the end of candidates.  FALSE with
 * KM_ERROR_ICE for a malformed one. */
gboolean km_peer_check_candidate (guint mline, const gchar *candidate, const gchar **text,
                                  GError **error);

/* km-ice.c: ICE restarts.  Main thread, before the offer is applied:
 * remembers its credentials and, when they changed (an ICE restart),
 * restarts the participant's nice stream.  Returns TRUE if it did. */
gboolean km_ice_follow_offer (KmParticipant *p, const GstSDPMessage *offer);
/* Any thread, on the answer before set-local-description: puts the nice
 * stream's current local credentials into it. */
void km_ice_answer_credentials (GstElement *webrtc, GstSDPMessage *answer);
/* The relay's local candidates for the participant ("candidate:…"). */
GPtrArray *km_ice_local_candidates (GstElement *webrtc);

/* km-codec.c: sets p->video and p->video_caps from p's offer (see the
 * rule there); FALSE with KM_ERROR_CODEC when the offer lacks the
 * meeting's video codec.  An offer without video changes nothing. */
gboolean km_codec_choose (KmParticipant *p, const GstSDPMessage *offer, GError **error);
/* Whether an offered m-line is in use (not rejected or stopped). */
gboolean km_codec_media_in_use (const GstSDPMedia *media);
/* Whether an offered m-line carries a format of a codec of this kind that
 * the relay forwards. */
gboolean km_codec_in_media (const GstSDPMedia *media, KmKind kind);

/* km-sdp.c: FALSE with KM_ERROR_SDP when an m-line of the offer (text,
 * and as parsed) is malformed or, in use, carries no codec the relay
 * forwards; an offer whose video has none at all passes (km_codec_choose
 * refuses it with KM_ERROR_CODEC). */
gboolean km_sdp_check_offer (const gchar *text, const GstSDPMessage *offer, GError **error);

/* km-stats.c */
/* Starts the meeting's timer that asks every connected participant. */
void km_stats_start (KmMeeting *meeting);

/* km-meeting.c */
/* A participant by id, or NULL once it has left (inline: every file of
 * the meeting asks, and the meeting calls them). */
static inline KmParticipant *
km_meeting_lookup (KmMeeting *meeting, guint id)
{
  return g_hash_table_lookup (meeting->participants, GUINT_TO_POINTER (id));
}
/* Connects every stream to a slot of every other participant, asking for
 * renegotiation where slots are missing. */
void km_route (KmMeeting *meeting);
void km_meeting_dump (KmMeeting *meeting, const gchar *why);

/* km-init.c */
void km_configure_webrtcbin (GstElement *webrtc);

/* km-recvpath.c: called for every element added inside a meeting; takes
 * webrtcbin's receive queue out of the path once media flows. */
void km_recvpath_element_added (GstElement *element);

/* km-nicerecv.c: nicesrc's packets received and pushed on a thread of
 * kontor's (started by km-recvpath once media flows); stop it for all of
 * a webrtcbin's transports before the webrtcbin stops. */
/* km-quiet.c: once media flows, ends the RTCP timer and the RTX task of
 * the webrtcbin that holds inside (any element in it); from any thread. */
void km_quiet_webrtcbin (GstElement *inside);

/* km-ssrcgate.c: at most KM_SSRCGATE_MAX streams per participant heard in
 * the last KM_SSRCGATE_IDLE_US; one gate per receive thread, unlocked. */
#define KM_SSRCGATE_MAX 32
#define KM_SSRCGATE_IDLE_US (10 * G_USEC_PER_SEC)
typedef struct {
  guint32 ssrc[KM_SSRCGATE_MAX];
  gint64 last[KM_SSRCGATE_MAX]; /* 0: free */
  guint64 refused;              /* packets dropped */
} KmSsrcGate;
/* FALSE when the packet (as received, SRTP or not) should be dropped. */
gboolean km_ssrcgate_admit (KmSsrcGate *gate, const guint8 *data, gsize len, gint64 now_us);

void km_nicerecv_start (GstElement *nicesrc);
void km_nicerecv_stop (GstElement *webrtc);

/* km-relaybuf.c: what rtpbin gets instead of a jitterbuffer. */
GstElement *km_relay_buffer_new (void);
