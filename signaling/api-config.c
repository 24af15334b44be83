/* api-config.c — GET /api/v1/config: what every page needs first, the
 * STUN server for WebRTC and the server's clock.  No TURN here: anyone may
 * ask, and TURN credentials go only to participants entering a meeting
 * (room.c), so that the TURN server relays meetings and nothing else. */

#include "signaling/ks-handlers.h"

/* ---- GET /api/v1/config --------------------------------------------- */

void
ks_api_config (KsRequest *r)
{
  json_t *ice = ks_ice_servers (r->server->config, FALSE, kb_clock_now () / G_USEC_PER_SEC);
  g_autofree gchar *now = ks_json_time (kb_clock_now ());
  /* now: the server's clock, so a countdown does not trust the PC's. */
  ks_respond (r, 200, json_pack ("{s:o, s:s}", "ice_servers", ice, "now", now));
}
