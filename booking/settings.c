/* settings.c — server configuration that the database rules read (the
 * settings table of 002_rules.sql), written at start-up from kontor.conf.
 * Blocking, like kb_migrate(): never on the running loop. */
#include "kb-private.h"

/* Settings live in the database so the rules can read them; kontor.conf
 * writes them at start-up. */
static gboolean
set_text (const gchar *conninfo, const gchar *key, const gchar *text, GError **error)
{
  const gchar *params[] = { text, key };
  PGconn *pg;
  PGresult *res;
  gboolean ok;

  pg = kb_connect_blocking (conninfo, error);
  if (pg == NULL)
    return FALSE;
  res = PQexecParams (pg, "UPDATE settings SET value = $1 WHERE key = $2", 2, NULL, params, NULL,
                      NULL, 0);
  ok = PQresultStatus (res) == PGRES_COMMAND_OK;
  if (!ok)
    kb_result_to_error (res, error);
  PQclear (res);
  PQfinish (pg);
  return ok;
}

static gboolean
set_setting (const gchar *conninfo, const gchar *key, guint value, GError **error)
{
  g_autofree gchar *text = g_strdup_printf ("%u", value);
  return set_text (conninfo, key, text, error);
}

gboolean
kb_set_notify_settings (const gchar *conninfo, const gchar *reminder_minutes, guint give_up_minutes,
                        const gchar *domain, GError **error)
{
  return set_text (conninfo, "notify_reminder_minutes", reminder_minutes, error)
         && set_setting (conninfo, "notify_give_up_minutes", give_up_minutes, error)
         && set_text (conninfo, "notify_domain", domain, error);
}

gboolean
kb_set_contact_cap (const gchar *conninfo, guint cap, GError **error)
{
  if (cap < 1 || cap > 1000) {
    g_set_error (error, KB_ERROR, KB_ERROR_INVALID,
                 "bad_value: the cap on live bookings per contact must be 1–1000");
    return FALSE;
  }
  return set_setting (conninfo, "max_live_bookings_per_contact", cap, error);
}

gboolean
kb_set_retention_days (const gchar *conninfo, guint days, GError **error)
{
  if (days < 1 || days > 3650) {
    g_set_error (error, KB_ERROR, KB_ERROR_INVALID,
                 "bad_value: the retention of personal data must be 1–3650 days");
    return FALSE;
  }
  return set_setting (conninfo, "personal_data_retention_days", days, error);
}

gboolean
kb_set_audit_retention_days (const gchar *conninfo, guint days, GError **error)
{
  if (days < 1 || days > 3650) {
    g_set_error (error, KB_ERROR, KB_ERROR_INVALID,
                 "bad_value: the retention of the audit log must be 1–3650 days");
    return FALSE;
  }
  return set_setting (conninfo, "audit_retention_days", days, error);
}
