/* api-health.c — GET /healthz and /readyz, for a load balancer and an
 * orchestrator: alive (the main loop answers), and ready for new meetings
 * (the database is reachable and the server is not draining).  Nothing
 * about any person; no session needed. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-room.h"

void
ks_api_healthz (KsRequest *r)
{
  ks_respond (r, 200, json_pack ("{s:s}", "status", "alive"));
}

/* Not ready is an error answer like any other (503, a code): draining
 * first, since it is the one an operator asked for. */
void
ks_api_readyz (KsRequest *r)
{
  KbStoreStats db = { 0 };
  guint meetings = ks_rooms_in_progress (r->server);
  /* tests/fuzz/fuzz-http.c routes without a database pool (found by it). */
  if (r->server->store)
    kb_store_stats (r->server->store, &db);
  gboolean database = !db.available || db.up == 0;

  if (r->server->draining) {
    g_autofree gchar *message =
        g_strdup_printf ("Draining before a restart: no new meetings; %u in progress go on.%s",
                         meetings, database ? " The database cannot be reached either." : "");
    ks_respond_error (r, 503, "draining", message);
  } else if (database) {
    ks_respond_error (r, 503, "db_unavailable", "The database cannot be reached.");
  } else {
    ks_respond (r, 200, json_pack ("{s:b, s:i}", "ready", TRUE, "meetings", (int) meetings));
  }
}
