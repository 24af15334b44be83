/* media.h — the WebRTC media relay.
 *
 * One KmMeeting is one GstPipeline; each participant is one webrtcbin in
 * it.  Audio and video arriving from one participant are forwarded to every
 * other participant without decoding.  media/ knows nothing of bookings or
 * JSON: signaling/ feeds it SDP and ICE text and receives the same back.
 *
 * Negotiation: the browser always offers, the server always answers (see
 * docs/protocol.md, "Negotiation").  When the server has more to send to a
 * participant than its current offer carries (someone joined, someone
 * started a screen share), it calls KmCallbacks.renegotiate: the browser is
 * asked to make a new offer with enough receive slots.
 *
 * Codecs: video is VP8 or H.264 (constrained baseline, packetization-mode
 * 1), audio is Opus, all forwarded without decoding, so everyone in a
 * meeting uses the same video codec.  A participant's offer is answered
 * with the video codec of the others already in the meeting; when nobody
 * there has video yet, with the first codec the offer carries in the
 * relay's order: KmConfig.video_codec, then VP8, then H.264.  An offer
 * without the meeting's codec is refused (KM_ERROR_CODEC, from
 * km_meeting_set_remote_description); the others go on.  A malformed
 * offer (km-sdp.c) is refused at once with KM_ERROR_SDP; one webrtcbin
 * refuses while applying it comes back as KmCallbacks.failed with
 * KM_ERROR_SDP.  Either way the participant may offer again.  Payload type
 * numbers may differ between participants: each slot sends with the
 * number its receiver negotiated.
 *
 * Threading: call everything on the main thread.  Every callback is invoked
 * on the main context (the default GMainContext), never on a GStreamer
 * thread, and never re-entrantly from inside a km_* call.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KM_ERROR (km_error_quark ())
GQuark km_error_quark (void);

typedef enum {
  KM_ERROR_MISSING_PLUGIN, /* message names the Debian package */
  KM_ERROR_PIPELINE,       /* an element failed or could not be made */
  KM_ERROR_SDP,            /* remote SDP could not be parsed or applied */
  KM_ERROR_ICE,            /* remote candidate refused, bad ICE address */
  KM_ERROR_NO_PARTICIPANT, /* unknown participant id */
  KM_ERROR_CODEC,          /* the offer lacks the meeting's video codec */
} KmErrorCode;

typedef struct {
  guint ice_min_port; /* UDP range for ICE; 0,0 = any */
  guint ice_max_port;
  const gchar *stun_server;    /* stun://host:port or NULL */
  const gchar *turn_server;    /* turn(s)://user:pass@host:port or NULL */
  const gchar *public_address; /* advertised for 1:1 NAT, or NULL */
  const gchar *ice_addresses;  /* local IPs to gather candidates on,
                                * comma-separated; NULL or "": all */
  const gchar *video_codec;    /* "VP8" or "H264" preferred, or NULL */
} KmConfig;

/* Checks that every needed GStreamer plugin exists (naming the Debian
 * package of a missing one), stores the configuration and pays webrtcbin's
 * DTLS certificate cost once.  Call once, after gst_init(). */
gboolean km_init (const KmConfig *config, GError **error);
void km_shutdown (void);

typedef struct {
  guint64 bytes_in, bytes_out;
  double bitrate_in_kbps, bitrate_out_kbps;
  double loss_in; /* fraction 0..1 */
  double rtt_ms;
  double jitter_ms;
  guint64 frames_in;
  /* Since the participant joined, like the bytes: RTP packets received from
   * it, and those its sequence numbers say went missing on the way. */
  guint64 packets_in, lost_in;
  /* Whether what it is sent is protected and sent by kontor itself
   * (libsrtp2 and libnice) rather than through webrtcbin's elements. */
  gboolean own_srtp;
} KmStats;

typedef struct {
  /* The answer (type "answer") to a remote offer. */
  void (*local_description) (guint participant, const gchar *type, const gchar *sdp,
                             gpointer user_data);
  /* A local ICE candidate; candidate NULL means gathering finished. */
  void (*local_candidate) (guint participant, guint mline_index, const gchar *candidate,
                           gpointer user_data);
  /* Ask the participant's browser for a new offer carrying at least this
   * many receive slots of each kind. */
  void (*renegotiate) (guint participant, guint audio_slots, guint video_slots, gpointer user_data);
  /* Connection state, for presence and "reconnecting…". */
  void (*connection_state) (guint participant, gboolean connected, gpointer user_data);
  /* Every few seconds while connected. */
  void (*stats) (guint participant, const KmStats *stats, gpointer user_data);
  /* The participant's media failed beyond repair; signaling decides what
   * to tell the browser.  The participant is still in the meeting.
   * KM_ERROR_SDP: webrtcbin refused the offer (or could not answer it);
   * nothing failed beyond the offer, and the participant may offer again. */
  void (*failed) (guint participant, const GError *error, gpointer user_data);
  /* The receive slot `mid` of receiver now carries the stream number
   * `stream` (0 the first, 1 the next: a screen share) of the given kind
   * ("audio" or "video") that sender sends, so that a page can say whose
   * picture a tile shows.  Comes after the answer that made the slot. */
  void (*routed) (guint receiver, const gchar *mid, const gchar *kind, guint sender, guint stream,
                  gpointer user_data);
  /* What the relay sends the participant no longer arrives (a report of
   * its counted none of what was sent over two seconds or more) while its
   * own media still comes: its network changed under a connection that stayed up, and
   * the relay's ICE keeps the old path (libnice follows a new pair only
   * of higher priority).  Signaling asks the page to restart ICE
   * (docs/protocol.md, restart_ice).  At most every 8 s a participant. */
  void (*path_lost) (guint participant, gpointer user_data);
} KmCallbacks;

typedef struct _KmMeeting KmMeeting;

/* name shows up in element names and, as the field MEETING_ID, in log
 * lines about the meeting (kontor gives the booking id).  callbacks is
 * copied. */
KmMeeting *km_meeting_new (const gchar *name, const KmCallbacks *callbacks, gpointer user_data,
                           GError **error);
/* Stops the pipeline and frees every element, pad and thread. */
void km_meeting_free (KmMeeting *meeting);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KmMeeting, km_meeting_free)

/* Returns a participant id > 0, or 0 with error set.  label ("seeker",
 * "caseworker", …) is for element names and logs only. */
guint km_meeting_add_participant (KmMeeting *meeting, const gchar *label, GError **error);
void km_meeting_remove_participant (KmMeeting *meeting, guint participant);

/* type is "offer" (the only one browsers send). */
gboolean km_meeting_set_remote_description (KmMeeting *meeting, guint participant,
                                            const gchar *type, const gchar *sdp, GError **error);
/* candidate NULL or "" means the remote side finished gathering. */
gboolean km_meeting_add_remote_candidate (KmMeeting *meeting, guint participant, guint mline_index,
                                          const gchar *candidate, GError **error);

guint km_meeting_participant_count (KmMeeting *meeting);

/* The candidate pair the relay uses with a participant, as
 * "10.0.0.1:40002 udp host -> 10.0.0.7:51234 udp srflx" (relay's side
 * first; IPv6 addresses in brackets), or NULL while there is none.  For
 * logs, operators and tests; free it. */
gchar *km_meeting_ice_path (KmMeeting *meeting, guint participant);

G_END_DECLS
