/* api-config.c — GET /api/v1/config: what every page needs first, the
 * ICE servers for WebRTC and the server's clock. */

#include "signaling/ks-handlers.h"

/* ---- GET /api/v1/config --------------------------------------------- */

void
ks_api_config (KsRequest *r)
{
  json_error_t err;
  json_t *ice = json_loads (r->server->ice_servers_json, 0, &err);
  g_autofree gchar *now = ks_json_time (kb_clock_now ());
  /* now: the server's clock, so a countdown does not trust the PC's. */
  ks_respond (r, 200, json_pack ("{s:o, s:s}", "ice_servers", ice, "now", now));
}
