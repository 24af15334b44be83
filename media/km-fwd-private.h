/* km-fwd-private.h — what the forwarding files share about ports, sources
 * and slots: km-forward.c (packets out), km-receive.c (packets in) and
 * km-feedback.c (RTCP); also tests/unit/test-feedback.c.  The rest of
 * media/ uses km-forward.h. */
#pragma once

#include <gst/gst.h>

#include "media/km-forward.h"

/* Video packets kept per slot for retransmission: at most KM_STORE_SIZE
 * (a power of two that divides 65536, so that a sequence number keeps its
 * place across the wrap), and none longer than KM_STORE_AGE_US.  A copy
 * older than that would reach the browser after its jitter buffer gave the
 * picture up (and after the relay's own requests upstream give up,
 * KM_GIVE_UP_US); without the time bound 256 copies were 1.7 s of the
 * benchmark's 1.4 Mbit/s video, ~400 kB per slot (docs/performance.md,
 * "Memory per meeting").  Once the receiver's round trip is known, a copy
 * is kept four round trips (a NACK comes one round trip after the loss and
 * may be repeated), but never less than KM_STORE_MIN_AGE_US: Janus keeps a
 * round trip and 100 ms, at least its min_nack_queue, 200 ms by default.
 * On a near receiver a video slot's ring is then ~45 kB, not ~110 kB
 * (docs/performance.md, "What stays per meeting").  km-store.c keeps them,
 * one ring per slot. */
#define KM_STORE_SIZE 256
#define KM_STORE_AGE_US (1 * G_USEC_PER_SEC)
#define KM_STORE_MIN_AGE_US (200 * 1000)
#define KM_SR_INTERVAL_US (1 * G_USEC_PER_SEC)
/* At most one keyframe request per stream in this time after a loss. */
#define KM_KEYFRAME_GAP_US (200 * 1000)
#define KM_RESEND_GAP_US (30 * 1000)
/* A hole in a sender's stream is NACKed at once, again after
 * KM_RENACK_US, and after KM_GIVE_UP_US becomes a keyframe request. */
#define KM_RENACK_US (120 * 1000)
#define KM_GIVE_UP_US (450 * 1000)
#define KM_MISSING 64
#define KM_RR_INTERVAL_US (1 * G_USEC_PER_SEC)
/* srtpenc refuses (as an error that fails the participant) a sequence
 * number it sent before, or one older than its replay window: the relay
 * never sends either.  The window is set to KM_SRTP_WINDOW, and packets
 * more than KM_TOO_OLD behind the newest are dropped. */
#define KM_SRTP_WINDOW 512
#define KM_TOO_OLD 400
#define KM_RECENT 512 /* sequence numbers remembered */
/* A sender's jump of this many sequence numbers is a restart (RFC 3550,
 * A.1: MAX_DROPOUT), not loss. */
#define KM_MAX_DROPOUT 3000
#define KM_MAX_MISORDER 100
/* A stream silent this long (a network drop, a paused share) starts its
 * counts afresh: what went missing meanwhile is past repair, and reporting
 * it as loss would only make the sender's bandwidth estimate collapse. */
#define KM_SILENCE_US (2 * G_USEC_PER_SEC)
/* A receiver's link, judged from its reports on a video slot the way a
 * browser judges its own (loss-based, as in draft-ietf-rmcat-gcc): above
 * KM_LINK_LOSS_HIGH lost, what the slot carried less half the loss is all
 * the link takes; below KM_LINK_LOSS_LOW the limit rises by
 * KM_LINK_RAISE per report, and once past KM_LINK_MAX it is gone.  The
 * lowest limit of a stream's receivers goes to its sender as REMB. */
/* A link whose round trip stays more than KM_LINK_QUEUE_US over the
 * shortest seen for a second is queueing: it is full before it loses, and
 * the limit goes down by KM_LINK_EASE; it rises only while the queue stays
 * under KM_LINK_CALM_US.  (One long round trip alone is as often a busy
 * browser as a full link.)  The link is judged at most every
 * KM_LINK_JUDGE_US: a browser that loses packets reports with every NACK. */
#define KM_LINK_QUEUE_US 60000
#define KM_LINK_JUDGE_US (G_USEC_PER_SEC / 2)
#define KM_TRANSIT_WINDOW_US (30 * G_USEC_PER_SEC)
/* km_fwd_port_path_lost: a report that counts none of the last
 * KM_PATH_LOST_PACKETS packets sent on a video slot over at least this
 * long.  Judged when a report comes, not by the clock: a browser may
 * report every second or every five. */
#define KM_PATH_LOST_US (2 * G_USEC_PER_SEC)
#define KM_PATH_LOST_PACKETS 30
#define KM_LINK_CALM_US 20000
#define KM_LINK_EASE 0.85
#define KM_LINK_LOSS_HIGH 0.10
#define KM_LINK_LOSS_LOW 0.02
#define KM_LINK_RAISE 1.08
#define KM_LINK_MIN 50000   /* bits/s: below, video is of no use anyway */
#define KM_LINK_MAX 5000000 /* bits/s: more than any meeting's camera */
#define KM_REMB_INTERVAL_US (1 * G_USEC_PER_SEC)

/* What the relay knows of one stream it receives, as RFC 3550 A.1/A.3/A.8
 * count it for receiver reports.  Under the sender's port lock. */
typedef struct {
  gboolean started;
  guint16 max_seq;
  guint32 cycles; /* wraps of the sequence number, << 16 */
  guint32 base_seq;
  guint64 received, bytes;
  guint32 expected_prior, received_prior;
  gboolean have_transit;
  gint64 transit;
  double jitter; /* in RTP timestamp units */
  struct {
    guint16 seq;
    gint64 since, nacked;
    gboolean renacked;
  } missing[KM_MISSING];
  guint n_missing;
  guint32 rtx_ssrc; /* its RTX stream, once seen */
  guint pt;         /* its payload type */
  guint32 bad_seq;  /* after a jump: the seq that confirms it */
  gint64 last_arrival;
  /* the shortest transit of the last KM_TRANSIT_WINDOW_US or two: how far
   * the newest lies above it is how long the sender's packets queue on
   * their way (km-feedback.c, judge_link) */
  gboolean have_min;
  gint64 min_cur, min_prev, min_at;
} KmRecvStats;

/* What km_receive_note() makes of a packet. */
typedef enum {
  KM_PACKET_NEW,       /* forward it */
  KM_PACKET_RESTART,   /* forward it; the numbering jumped */
  KM_PACKET_DUPLICATE, /* seen, too old, or not to be trusted yet */
} KmPacketKind;

typedef struct _KmSrtpOut KmSrtpOut;

struct _KmFwdPort {
  gint refs;          /* atomic */
  GstElement *webrtc; /* not owned */
  gchar *name;
  GMutex lock;
  GstElement *enc;            /* its dtlssrtpenc, once attached */
  GstPad *enc_rtp, *enc_rtcp; /* request pads of enc */
  GstPad *rtp_out, *rtcp_out; /* ours, linked to them */
  KmSrtpOut *out;             /* once ready: sending without them */
  gboolean dtls_quiet;        /* enc's dtlsenc task stopped */
  GObject *session;           /* rtpbin's RTPSession 0 */
  GstElement *rtpbin;
  GstPad *rtp_in; /* srtpdec's RTP output (km-receive.c) */
  gulong rtp_in_probe;
  GstPad *muted[4]; /* rtpbin's RTCP into enc, dropped */
  gulong muted_probe[4];
  guint32 ssrc; /* ours, in the feedback we send */
  gulong rtcp_handler;
  /* under lock */
  gboolean ready;  /* DTLS keys in place */
  GList *sinks;    /* KmFwdSink*: slots toward this browser */
  GList *sources;  /* KmFwdSource*: streams it sends */
  gboolean closed; /* km_fwd_port_close() ran */
  guint64 bytes_out;
  struct { /* the last PLIs sent */
    guint32 ssrc;
    gint64 at;
    gboolean pending; /* asked again too soon: send when due */
  } pli[4];
  gint16 apt[128]; /* per payload type: -2 unknown, -1 not
                    * RTX, else RTX for that payload type */
  gint64 last_rr;
};

struct _KmFwdSource {
  gint refs;       /* atomic: owner, probes, lookups */
  KmFwdPort *port; /* the sender's */
  GstBin *bin;
  GstPad *pad;       /* webrtcbin src pad */
  GstPad *probe_pad; /* where packets are taken */
  gulong probe;
  GstElement *drain;
  KmKind kind;
  const KmCodec *relayed; /* NULL: not relayable */
  gchar *codec;
  guint clock_rate;
  guint64 frames; /* atomic */
  /* under lock (the sender's streaming thread, and connects) */
  GMutex lock;
  GList *sinks;
  /* under port->lock */
  guint32 ssrc; /* set before the source is listed */
  KmRecvStats recv;
  /* under sr_lock: the sender's latest sender report */
  GMutex sr_lock;
  gboolean have_sr;
  guint64 sr_ntp;
  guint32 sr_rtp;
  gint64 sr_time; /* monotonic µs when it came */
  /* under lock: the limit last told the sender (REMB), 0: none */
  guint32 remb_value;
  gint64 remb_at;
};

/* km-store.c: a video slot's copies for retransmission, as sent before
 * SRTP, in a ring of bytes that grows with the slot's bit rate.  Under
 * the slot's port lock. */
typedef struct _KmStore KmStore;

KmStore *km_store_new (void);
void km_store_free (KmStore *store);
/* Keeps a copy of packet as seq; copies older than age go. */
void km_store_put (KmStore *store, guint16 seq, const guint8 *packet, gsize size, gint64 now,
                   gint64 age);
/* seq's copy when held and younger than age, NULL otherwise; its bytes
 * (owned by the store) stay valid until the next put.  *resent: when it
 * was last marked resent, 0: never. */
const guint8 *km_store_get (KmStore *store, guint16 seq, gint64 now, gint64 age, gsize *size,
                            gint64 *resent);
void km_store_mark_resent (KmStore *store, guint16 seq, gint64 now);
/* Copies held, and the ring's size in bytes: for tests and benchmarks. */
guint km_store_count (KmStore *store);
gsize km_store_bytes (const KmStore *store);

struct _KmFwdSink {
  KmFwdPort *port; /* the receiver's */
  gchar *name;
  KmKind kind;
  const KmCodec *codec;
  guint32 ssrc, rtx_ssrc;
  /* under port->lock */
  guint pt, rtx_pt;
  KmFwdSource *source;
  gboolean rebase;        /* map the next packet's numbers anew */
  guint16 rebase_seq;     /* the source's first seq after it */
  gboolean guard;         /* still near it: drop what came before */
  gboolean need_keyframe; /* the receiver could not decrypt before */
  guint16 seq_delta;
  guint32 ts_delta;
  gboolean started;
  guint16 next_seq;
  guint32 last_ts;
  gint64 last_time;
  guint16 rtx_seq;
  guint32 packets, octets;
  gint64 last_sr;
  guint32 sr_lsr[4]; /* middle 32 bits of our last reports' NTP */
  gint64 sr_sent[4]; /* and when they went */
  guint sr_next;
  double rtt;                /* s, < 0: unknown */
  guint32 link_octets;       /* at the receiver's last judged report: */
  guint32 link_seq;          /* octets sent, its extended highest seq, */
  gint32 link_lost;          /* its cumulative loss */
  gint64 link_time;          /* and when it came (0: none yet) */
  gint link_limit;           /* atomic: bits/s the receiver's link takes,
                              * 0: no limit seen */
  double rtt_min;            /* s, the shortest round trip seen, 0: none */
  gint64 queued_since;       /* a queue seen in every report since, 0: no */
  guint32 ack_seq;           /* the receiver's extended highest seq, */
  gint64 ack_at;             /* when it last moved (0: no report yet), */
  guint32 ack_packets;       /* and how many we had sent then */
  gint64 stalled_at;         /* a report said none arrived, 0: none did */
  KmStore *store;            /* video only */
  guint32 recent[KM_RECENT]; /* seq | 1 << 16 of what was sent */
};

/* km-forward.c */
/* A source of encoding (its SSRC, 0: from its first packet) for the
 * sender behind port, not yet listed on the port nor linked to any pad:
 * what km_fwd_source_new() starts from (and tests/fuzz builds on). */
KmFwdSource *km_fwd_source_alloc (KmFwdPort *port, const gchar *encoding, guint32 ssrc);
KmFwdSource *km_fwd_source_ref (KmFwdSource *source);
void km_fwd_source_unref (KmFwdSource *source);
/* One packet of source to every slot it feeds; holding no lock.  _at:
 * with the monotonic time (µs) it arrived. */
void km_fwd_forward (KmFwdSource *source, GstBuffer *buffer);
void km_fwd_forward_at (KmFwdSource *source, GstBuffer *buffer, gint64 now);
/* Under the port's lock. */
gboolean km_fwd_port_ready (KmFwdPort *port);
/* Sends a keyframe request held back by the rate limit, once due. */
void km_fwd_port_pli_due (KmFwdPort *port, guint32 ssrc, gint64 now);
void km_fwd_resend (KmFwdSink *sink, guint16 seq, gint64 now);
/* Asks the browser behind port for a keyframe of its stream ssrc (at most
 * one per KM_KEYFRAME_GAP_US); holding no port's lock. */
void km_fwd_port_request_keyframe (KmFwdPort *port, guint32 ssrc);

/* Sends one packet (RTP, or RTCP if rtcp) to the browser behind port
 * (transfer full).  Under the port's lock, once ready. */
void km_fwd_port_send (KmFwdPort *port, GstBuffer *packet, gboolean rtcp);
/* The same for a packet in memory of the caller's (copied). */
void km_fwd_port_send_data (KmFwdPort *port, const guint8 *packet, gsize size, gboolean rtcp);

/* km-srtpout.c */
/* The send path of webrtc, whose dtlssrtpenc enc is connected: NULL
 * (logged) where it cannot be had, and packets go through enc instead. */
KmSrtpOut *km_srtp_out_new (GstElement *webrtc, GstElement *enc, const gchar *name);
/* Protects a copy of packet and sends it; FALSE if it could not. */
gboolean km_srtp_out_send (KmSrtpOut *out, const guint8 *packet, gsize size, gboolean rtcp);
void km_srtp_out_free (KmSrtpOut *out);
/* Ends the task of the dtlsenc in enc (a dtlssrtpenc kontor sends past),
 * once the handshake is over.  Main context. */
void km_srtp_out_quiet_dtls (GstElement *enc, const gchar *name);

/* km-receive.c */
/* Takes the sender's packets from its SRTP decoder, before rtpbin. */
void km_receive_attach (KmFwdPort *port, GstElement *dec);
void km_receive_detach (KmFwdPort *port);
/* One decrypted packet from the sender behind port, arrived at now
 * (monotonic µs): forwarded (RTX unwrapped) when it belongs to a listed
 * source.  TRUE when it was ours to forward or drop; FALSE: rtpbin's (a
 * stream not yet announced). */
gboolean km_receive_take (KmFwdPort *port, GstBuffer *buffer, gint64 now);
/* Counts one packet of source and NACKs holes; under source->port->lock.
 * *keyframe is set when a hole was given up. */
KmPacketKind km_receive_note (KmFwdSource *source, const guint8 *data, gsize size, gint64 now,
                              gboolean *keyframe);
/* RTP header length (CSRCs, extension), or size + 1 if it is cut. */
gsize km_rtp_header_length (const guint8 *data, gsize size);

/* km-feedback.c */
/* rtpsession's on-receiving-rtcp: the browser's reports and requests. */
void km_feedback_on_rtcp (GObject *session, GstBuffer *buffer, KmFwdPort *port);
/* What km_feedback_on_rtcp() does, with the monotonic time (µs) the
 * compound packet arrived. */
void km_feedback_read (KmFwdPort *port, GstBuffer *buffer, gint64 now);
/* A sender report for the slot, under its port's lock. */
void km_feedback_send_sr (KmFwdSink *sink, gint64 now);
/* A PLI for the browser's stream ssrc, under the port's lock. */
void km_feedback_send_pli (KmFwdPort *port, guint32 ssrc);
/* A NACK for n sequence numbers of ssrc, under the port's lock. */
void km_feedback_send_nack (KmFwdPort *port, guint32 ssrc, const guint16 *seqs, guint n);
/* A receiver report on every stream the browser sends, under the port's
 * lock. */
void km_feedback_send_rr (KmFwdPort *port, gint64 now);
/* Tells the sender of source the lowest limit of its receivers' links
 * (REMB), when it changed or is due again; holding no lock. */
void km_feedback_tell_sender (KmFwdSource *source, gint64 now);
