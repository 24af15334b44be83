/* client.h — an in-process browser stand-in for the media tests: a
 * webrtcbin that sends test video (VP8, or H.264) and audio (Opus), makes the offer,
 * and decodes what it receives, counting frames. */
#pragma once

#include <gst/gst.h>
#include "media/media.h"

typedef struct _TestClient TestClient;

/* Joins meeting as participant id (already added); starts at once. */
TestClient *tc_new (const gchar *name, KmMeeting *meeting, guint id);
/* What the client sends and offers, where a test cares. */
typedef struct {
  const gchar *video_codec; /* "VP8" (the default) or "H264" */
  guint video_pt;           /* its payload type number; 0: 96 */
  /* Its jitterbuffer's; 0: 50 ms.  Below a frame interval (15 fps:
   * 67 ms) rtpjitterbuffer can settle into declaring every other
   * single-packet frame lost just before it arrives: the decoder then
   * sees half the frames (openh264dec decodes only keyframes then). */
  guint latency_ms;
  /* Offers as Firefox does under max-bundle: every m-line after the first
   * with port 0 and a=bundle-only. */
  gboolean bundle_only;
  /* Offers no RTX: the relay then retransmits its video by repeating the
   * packet itself. */
  gboolean no_rtx;
  /* Before its first offer, sends two broken copies of it as a page that
   * went wrong might: one whose video m-line has the port "x" (refused at
   * once: tc_refusal), then, that done, one without a=fingerprint
   * (refused by webrtcbin on its thread: KmCallbacks.failed, which the
   * harness passes to tc_media_failed); only then the real one. */
  gboolean broken_first;
  /* Comma-separated local addresses its ICE agent gathers on (all of the
   * namespace's if NULL), and consent checks every ~5 s on its selected
   * pair, which carry USE-CANDIDATE as the client is controlling: how a
   * browser keeps nominating the pair it uses. */
  const gchar *ice_addresses;
  /* Regular RTCP at least this often (ms; 0: rtpsession's 5 s), as
   * browsers report on video about every second. */
  guint rtcp_ms;
} TcOptions;
TestClient *tc_new_with (const gchar *name, KmMeeting *meeting, guint id, const TcOptions *options);
/* "domain code: message" of the relay's refusal of an offer, or NULL. */
const gchar *tc_refusal (TestClient *tc);
/* The relay reported tc's media failed (KmCallbacks.failed); a client
 * holding its real offer back (broken_first) sends it now. */
void tc_media_failed (TestClient *tc, const GError *error);
/* "domain code: message" of the last such failure, or NULL. */
const gchar *tc_failure (TestClient *tc);
/* The payload type of the last video stream received, or 0. */
guint tc_received_video_pt (TestClient *tc);
void tc_free (TestClient *tc);
guint tc_id (TestClient *tc);
/* Makes a (new) offer; extra recvonly transceivers up to the given total
 * numbers of m-lines per kind.  ice_restart: new ICE credentials, checks
 * from scratch, candidates sent again (a browser's restartIce()). */
void tc_offer (TestClient *tc, guint audio_mlines, guint video_mlines, gboolean ice_restart);
void tc_set_answer (TestClient *tc, const gchar *sdp);
void tc_add_candidate (TestClient *tc, guint mline, const gchar *candidate);
/* Decoded video frames, per receiving stream summed, and audio buffers. */
guint64 tc_video_frames (TestClient *tc);
guint64 tc_audio_buffers (TestClient *tc);
/* Number of distinct incoming video streams that decoded at least one
 * frame. */
guint tc_video_streams (TestClient *tc);
/* Microseconds from tc_new to the first decoded video frame, or -1. */
gint64 tc_first_frame_us (TestClient *tc);
/* Keyframes that reached the video decoders. */
guint64 tc_keyframes (TestClient *tc);
/* Asks, like a browser's PLI, for a keyframe on every received video. */
void tc_request_keyframe (TestClient *tc);
/* Adds (or removes) a second outgoing video track, like a screen share. */
void tc_set_screen (TestClient *tc, gboolean on);
/* As a browser's ICE controller after its network changed, without an
 * ICE restart: sends from its host candidate on local_ip to the relay's
 * first candidate from now on, and nominates that pair (its consent
 * checks carry USE-CANDIDATE).  FALSE if it has no such candidates. */
gboolean tc_switch_pair (TestClient *tc, const gchar *local_ip);
/* ice-ufrag of the relay's answer in force (free it), or NULL. */
gchar *tc_answer_ufrag (TestClient *tc);
