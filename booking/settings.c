/* settings.c — server configuration that the database rules read (the
 * settings table of 002_rules.sql), written at start-up from kontor.conf.
 * Blocking, like kb_migrate(): never on the running loop. */
#include "kb-private.h"

gboolean
kb_set_contact_cap (const gchar *conninfo, guint cap, GError **error)
{
  g_autofree gchar *value = g_strdup_printf ("%u", cap);
  const gchar *params[] = { value };
  PGconn *pg;
  PGresult *res;
  gboolean ok;

  if (cap < 1 || cap > 1000)
    {
      g_set_error (error, KB_ERROR, KB_ERROR_INVALID,
                   "bad_value: the cap on live bookings per contact must be 1–1000");
      return FALSE;
    }
  pg = kb_connect_blocking (conninfo, error);
  if (pg == NULL)
    return FALSE;
  res = PQexecParams (pg, "UPDATE settings SET value = $1 "
                          "WHERE key = 'max_live_bookings_per_contact'",
                      1, NULL, params, NULL, NULL, 0);
  ok = PQresultStatus (res) == PGRES_COMMAND_OK;
  if (!ok)
    kb_result_to_error (res, error);
  PQclear (res);
  PQfinish (pg);
  return ok;
}
