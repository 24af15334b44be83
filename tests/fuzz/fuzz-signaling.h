/* fuzz-signaling.h — what fuzz-ws.c and fuzz-http.c share: a KsServer
 * as ks_server_new() makes one, but with no socket, no database and rate
 * limits of 0 (the configuration cannot say 0: every rate-limited step
 * refuses, and that is where a handler's query would come next). */
#pragma once

#include "signaling/ks-handlers.h"
#include "signaling/ks-room.h"

#include "tests/fuzz/fuzz-common.h"

static KsServer *server;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_quiet_logs ();
  gchar *env[] = { NULL };
  g_autoptr (GError) error = NULL;
  KsConfig *config = ks_config_load (NULL, env, &error);
  FUZZ_CHECK (config, "default configuration: %s", error->message);
  config->login_per_minute = config->book_per_minute = 0;
  config->link_per_minute = config->public_per_minute = 0;
  server = g_new0 (KsServer, 1);
  server->config = config;
  server->rooms =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) ks_room_free);
  server->seeker_moved = ks_queue_changed;
  return 0;
}
