/* test-ssrcgate.c — one participant may send at most KM_SSRCGATE_MAX
 * streams at once (media/km-ssrcgate.c); streams that fall silent make
 * room, and what is not RTP passes untouched. */
#include "media/km-private.h"

#include <string.h>

#define S (G_USEC_PER_SEC)

static gsize
rtp (guint8 *p, guint32 ssrc, guint8 pt)
{
  memset (p, 0, 20);
  p[0] = 0x80;
  p[1] = pt;
  p[8] = ssrc >> 24;
  p[9] = ssrc >> 16;
  p[10] = ssrc >> 8;
  p[11] = ssrc;
  return 20;
}

/* KM_SSRCGATE_MAX streams, SSRCs 1000 and up, all heard at one second. */
static void
fill (KmSsrcGate *gate)
{
  guint8 p[20];
  for (guint32 i = 0; i < KM_SSRCGATE_MAX; i++)
    g_assert_true (km_ssrcgate_admit (gate, p, rtp (p, 1000 + i, 96), 1 * S));
}

static void
test_at_most_max_streams (void)
{
  KmSsrcGate gate = { 0 };
  guint8 p[20];
  fill (&gate);
  g_assert_false (km_ssrcgate_admit (&gate, p, rtp (p, 5000, 96), 2 * S));
  g_assert_cmpuint (gate.refused, ==, 1);
  /* Known streams go on. */
  g_assert_true (km_ssrcgate_admit (&gate, p, rtp (p, 1000, 111), 3 * S));
}

static void
test_silent_streams_make_room (void)
{
  KmSsrcGate gate = { 0 };
  guint8 p[20];
  fill (&gate);
  /* All but the first fall silent for longer than the idle time. */
  g_assert_true (km_ssrcgate_admit (&gate, p, rtp (p, 1000, 96), 11 * S));
  g_assert_true (km_ssrcgate_admit (&gate, p, rtp (p, 7000, 96), 12 * S));
  g_assert_true (km_ssrcgate_admit (&gate, p, rtp (p, 1000, 96), 12 * S));
}

static void
test_other_packets_pass (void)
{
  KmSsrcGate gate = { 0 };
  guint8 p[20];
  fill (&gate);
  rtp (p, 9999, 200); /* RTCP sender report */
  g_assert_true (km_ssrcgate_admit (&gate, p, 20, 2 * S));
  guint8 dtls[13] = { 22, 0xfe, 0xfd };
  g_assert_true (km_ssrcgate_admit (&gate, dtls, sizeof dtls, 2 * S));
  guint8 stun[20] = { 0x00, 0x01 };
  g_assert_true (km_ssrcgate_admit (&gate, stun, sizeof stun, 2 * S));
  /* Too short to be RTP. */
  rtp (p, 1000, 96);
  g_assert_false (km_ssrcgate_admit (&gate, p, 11, 2 * S));
  g_assert_true (km_ssrcgate_admit (&gate, p, 0, 2 * S));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/ssrcgate/at-most-max-streams", test_at_most_max_streams);
  g_test_add_func ("/media/ssrcgate/silent-streams-make-room", test_silent_streams_make_room);
  g_test_add_func ("/media/ssrcgate/other-packets-pass", test_other_packets_pass);
  return g_test_run ();
}
