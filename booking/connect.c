/* connect.c — one blocking connection, for what runs before the loop or
 * instead of it: migrations, settings at start-up, `kontor demo`.  The
 * running server asks through the pool (pool.c) only. */
#include "kb-private.h"

PGconn *
kb_connect_blocking (const gchar *conninfo, GError **error)
{
  PGconn *pg = PQconnectdb (conninfo ? conninfo : "");

  if (pg == NULL || PQstatus (pg) != CONNECTION_OK) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "cannot connect to the database: %s",
                 pg ? PQerrorMessage (pg) : "out of memory");
    PQfinish (pg);
    return NULL;
  }
  return pg;
}
