/* harness.h — what every media test shares: the relay's callbacks wired to
 * in-process clients, and bounded waiting on the main loop. */
#pragma once

#include "tests/media/client.h"

typedef struct {
  KmMeeting *meeting;
  GHashTable *clients; /* participant id → TestClient* */
  guint renegotiations;
  guint connected; /* participants currently connected */
  gboolean auto_renegotiate;
  GHashTable *routes;          /* "receiver/mid" → "kind sender stream" */
  GHashTable *drops;           /* participant id → times the relay reported
                                * it disconnected */
  GHashTable *paths_lost;      /* participant id → times the relay said its
                                * packets no longer reach it (path_lost) */
  GHashTable *own_srtp;        /* participant id → its last stats said it is
                                * sent to through km-srtpout.c */
  guint failures;              /* media failures the relay reported */
  guint unexpected_candidates; /* TCP, or not on KONTOR_ICE_ADDRESS */
} Harness;

/* Fails the test (main returns 1) with a message when cond is false;
 * KONTOR_TEST_HOLD=1 keeps the process 30 s first, for a look at it. */
#define CHECK(cond, ...)                 \
  do {                                   \
    if (!(cond)) {                       \
      g_printerr ("FAIL: " __VA_ARGS__); \
      g_printerr ("\n");                 \
      if (g_getenv ("KONTOR_TEST_HOLD")) \
        g_usleep (G_USEC_PER_SEC * 30);  \
      return 1;                          \
    }                                    \
  } while (0)

/* Exits 77 unless run by run-in-netns.sh; then km_init with a port range. */
void harness_init (int *argc, char ***argv);
Harness *harness_new (const gchar *name);
void harness_free (Harness *h);
TestClient *harness_join (Harness *h, const gchar *label);
TestClient *harness_join_with (Harness *h, const gchar *label, const TcOptions *options);
void harness_leave (Harness *h, TestClient *tc);
/* Runs the main loop until cond(data) or timeout_ms; returns cond's value. */
gboolean harness_wait (guint timeout_ms, gboolean (*cond) (gpointer), gpointer data);
void harness_run (guint ms);
/* Runs a command (argv[0] on PATH, NULL-terminated) in the test's
 * namespace, its output dropped; TRUE on success, else its error on
 * stderr. */
gboolean harness_command (const gchar *const *argv);
/* Until a and b have decoded at least a_frames and b_frames video frames in
 * all (and, with audio, more than 10 audio buffers each). */
gboolean harness_wait_decoding (guint timeout_ms, TestClient *a, guint64 a_frames, TestClient *b,
                                guint64 b_frames, gboolean audio);
/* Until the relay has refused tc's offer (tc_refusal). */
gboolean harness_wait_refused (guint timeout_ms, TestClient *tc);
/* Until tc's decoders have seen count keyframes in all. */
gboolean harness_wait_keyframes (guint timeout_ms, TestClient *tc, guint64 count);
/* Whether the relay announced (KmCallbacks.routed) that a slot of receiver
 * carries sender's stream number `stream` of kind ("audio", "video"). */
gboolean harness_routed (Harness *h, TestClient *receiver, const gchar *kind, TestClient *sender,
                         guint stream);
/* Frames decoded by tc over ms of running the loop. */
guint64 harness_frames_during (TestClient *tc, guint ms);
/* Threads of this process named name, or whose name starts with it if
 * prefix. */
guint harness_threads (const gchar *name, gboolean prefix);
/* Times the relay reported tc's connection lost. */
guint harness_drops (Harness *h, TestClient *tc);
/* Times the relay reported that what it sends tc no longer arrives. */
guint harness_paths_lost (Harness *h, TestClient *tc);
/* Whether the relay's latest stats of tc say it sends to tc itself
 * (libsrtp2 and libnice, km-srtpout.c). */
gboolean harness_own_srtp (Harness *h, TestClient *tc);
