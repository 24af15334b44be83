/* km-ssrcgate.c — how many streams one participant may send at once.
 *
 * Every RTP stream (SSRC, and payload type) a browser sends makes rtpbin
 * inside webrtcbin create a pad, elements and a forwarding source.  A
 * page sends a handful (audio, video, their retransmissions, a shared
 * screen); a hostile one could send thousands of made-up SSRCs and make
 * the node build a pipeline branch for each.  The RTP header is not
 * encrypted under SRTP, so kontor's own receive thread (km-nicerecv.c)
 * reads the SSRC of each packet before webrtcbin sees it and drops packets
 * of a new SSRC while KM_SSRCGATE_MAX others have been heard in the last
 * KM_SSRCGATE_IDLE_US.  Streams that stop (a screen share ended) make room
 * again.  DTLS, STUN and RTCP pass untouched. */
#include "media/km-private.h"

#include <string.h>

/* RTP, not RTCP: version 2, and not one of RTCP's packet types 192–223
 * (RFC 5761 keeps RTP payload types clear of them). */
static gboolean
is_rtp (const guint8 *data, gsize len)
{
  return len >= 12 && (data[0] >> 6) == 2 && (data[1] < 192 || data[1] > 223);
}

gboolean
km_ssrcgate_admit (KmSsrcGate *gate, const guint8 *data, gsize len, gint64 now_us)
{
  if (len < 2 || (data[0] >> 6) != 2)
    return TRUE; /* DTLS, STUN: not ours to judge */
  if (data[1] >= 192 && data[1] <= 223)
    return TRUE; /* RTCP */
  if (!is_rtp (data, len))
    return FALSE; /* shorter than an RTP header */
  guint32 ssrc =
      (guint32) data[8] << 24 | (guint32) data[9] << 16 | (guint32) data[10] << 8 | data[11];
  gint free_slot = -1;
  for (guint i = 0; i < KM_SSRCGATE_MAX; i++) {
    if (gate->last[i] && gate->ssrc[i] == ssrc) {
      gate->last[i] = now_us;
      return TRUE;
    }
    if (free_slot < 0 && (!gate->last[i] || now_us - gate->last[i] > KM_SSRCGATE_IDLE_US))
      free_slot = (gint) i;
  }
  if (free_slot < 0) {
    gate->refused++;
    return FALSE;
  }
  gate->ssrc[free_slot] = ssrc;
  gate->last[free_slot] = now_us ? now_us : 1;
  return TRUE;
}
