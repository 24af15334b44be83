/* json.c — the JSON shapes of bookings, caseworkers and errors, shared by
 * the HTTP API and the WebSocket so both say the same thing. */

#include "signaling/ks-server.h"

gchar *
ks_json_time (gint64 usec)
{
  if (usec == 0)
    return NULL;
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  return t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

json_t *
ks_json_time_or_null (gint64 usec)
{
  g_autofree gchar *text = ks_json_time (usec);
  return text ? json_string (text) : json_null ();
}

static json_t *
string_or_null (const gchar *s)
{
  return s ? json_string (s) : json_null ();
}

json_t *
ks_json_booking (const KbBooking *b)
{
  json_t *o = json_pack (
      "{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t) b->id,
      "reference", string_or_null (b->reference), "seeker_name", string_or_null (b->seeker_name),
      "service", string_or_null (b->service_name), "language", string_or_null (b->language),
      "starts_at", ks_json_time_or_null (b->starts_at), "ends_at",
      ks_json_time_or_null (b->ends_at), "office", string_or_null (b->office_name), "time_zone",
      string_or_null (b->office_tz), "status", kb_status_to_string (b->status), "checked_in_at",
      ks_json_time_or_null (b->checked_in_at), "admitted_at", ks_json_time_or_null (b->admitted_at),
      "ended_at", ks_json_time_or_null (b->ended_at));
  /* What a page needs to move the booking or prepare the meeting. */
  json_object_set_new (o, "service_id", json_integer (b->service_id));
  json_object_set_new (o, "office_id", json_integer (b->office_id));
  json_object_set_new (o, "caseworker_id", json_integer (b->caseworker_id));
  json_object_set_new (o, "caseworker_name", string_or_null (b->caseworker_name));
  json_object_set_new (o, "interpreter", json_boolean (b->interpreter));
  json_object_set_new (o, "kiosk_locked", json_boolean (b->kiosk_locked));
  json_object_set_new (
      o, "join_opens_at",
      ks_json_time_or_null (b->starts_at - (gint64) b->join_before_s * G_USEC_PER_SEC));
  json_object_set_new (
      o, "join_closes_at",
      ks_json_time_or_null (b->starts_at + (gint64) b->join_after_s * G_USEC_PER_SEC));
  return o;
}

json_t *
ks_json_caseworker (const KbCaseworker *c)
{
  return json_pack ("{s:I, s:I, s:o, s:o, s:o, s:b}", "id", (json_int_t) c->id, "office_id",
                    (json_int_t) c->office_id, "name", string_or_null (c->name), "office",
                    string_or_null (c->office_name), "time_zone", string_or_null (c->office_tz),
                    "is_admin", c->is_admin);
}

json_t *
ks_json_text (const gchar *text)
{
  /* JSON strings are UTF-8, and jansson refuses to make one of anything
   * else (json_string gives NULL, json_pack fails as a whole). */
  if (g_utf8_validate (text, -1, NULL))
    return json_string (text);
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  return json_string (valid);
}

json_t *
ks_json_error (const gchar *code, const gchar *message)
{
  return json_pack ("{s:s, s:s, s:o}", "type", "error", "code", code, "message",
                    ks_json_text (message));
}

/* ---- shared shapes and errors --------------------------------------- */

json_t *
ks_json_booking_with_links (KsServer *server, const KbBooking *booking, const gchar *token)
{
  const gchar *base = server->config->public_url;
  g_autofree gchar *join = g_strdup_printf ("%s/join.html#t=%s", base, token);
  g_autofree gchar *manage = g_strdup_printf ("%s/booking.html#t=%s", base, token);
  g_autofree gchar *domain = kb_ics_uid_domain (base);
  g_autofree gchar *ics = kb_ics_build (booking, join, manage, domain, kb_clock_now ());
  return json_pack ("{s:o, s:s, s:s, s:s}", "booking", ks_json_booking (booking), "join_url", join,
                    "manage_url", manage, "ics", ics);
}

const gchar *
ks_db_trouble (const GError *error, const gchar **message)
{
  if (g_error_matches (error, KB_ERROR, KB_ERROR_UNAVAILABLE)) {
    *message = "The booking system cannot reach its database right now. Please try again "
               "in a minute; if you were changing something, check whether it was saved first.";
    return "db_unavailable";
  }
  if (g_error_matches (error, KB_ERROR, KB_ERROR_BUSY)) {
    *message = "The booking system is busy right now. Please try again in a moment.";
    return "busy";
  }
  return NULL;
}

/* Two digits at p as a number, or -1. */
static int
two_digits (const gchar *p)
{
  return g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) ? (p[0] - '0') * 10 + (p[1] - '0') : -1;
}

/* RFC 3339 (section 5.6) and nothing else: YYYY-MM-DDTHH:MM:SS, at most
 * six fraction digits, then Z or ±HH:MM.  GLib's ISO 8601 parser alone
 * would also take week and ordinal dates, the basic format and offsets
 * without minutes, drop digits past the microsecond, and read a leap
 * second (23:59:60) as 23:59:59: a time the client never sent. */
gboolean
ks_parse_time (const gchar *text, gint64 *out)
{
  static const gchar shape[] = "dddd-dd-ddTdd:dd:dd";
  gchar copy[40];
  gsize len = strlen (text), i = sizeof shape - 1;
  if (len >= sizeof copy || len < i + 1)
    return FALSE;
  memcpy (copy, text, len + 1);
  for (gsize k = 0; k < i; k++) {
    gboolean ok =
        shape[k] == 'd' ? g_ascii_isdigit (copy[k]) : g_ascii_toupper (copy[k]) == shape[k];
    if (!ok)
      return FALSE;
  }
  copy[10] = 'T';
  if (two_digits (copy + 11) > 23 || two_digits (copy + 14) > 59 || two_digits (copy + 17) > 59)
    return FALSE;
  if (copy[i] == '.') {
    gsize digits = strspn (copy + i + 1, "0123456789");
    if (digits < 1 || digits > 6)
      return FALSE;
    i += 1 + digits;
  }
  if (g_ascii_toupper (copy[i]) == 'Z' && copy[i + 1] == '\0') {
    copy[i] = 'Z';
  } else if ((copy[i] == '+' || copy[i] == '-') && len == i + 6 && copy[i + 3] == ':') {
    int h = two_digits (copy + i + 1), m = two_digits (copy + i + 4);
    if (h < 0 || h > 23 || m < 0 || m > 59)
      return FALSE;
  } else {
    return FALSE;
  }
  g_autoptr (GDateTime) t = g_date_time_new_from_iso8601 (copy, NULL); /* checks the date */
  if (!t)
    return FALSE;
  *out = g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
  return TRUE;
}

gboolean
ks_valid_language (const gchar *text)
{
  gsize n = strlen (text);
  if (n < 2 || n > 3)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (text[i]))
      return FALSE;
  return TRUE;
}

json_t *
ks_json_strv (GStrv v)
{
  json_t *a = json_array ();
  for (gsize i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

json_t *
ks_json_caseworker_list (GPtrArray *list, gboolean full)
{
  json_t *out = json_array ();
  for (guint i = 0; i < list->len; i++) {
    const KbCaseworker *c = g_ptr_array_index (list, i);
    if (!full && !c->active)
      continue;
    json_t *item = json_pack ("{s:I, s:s, s:o}", "id", (json_int_t) c->id, "name", c->name,
                              "languages", ks_json_strv (c->languages));
    if (full) {
      json_object_set_new (item, "email", json_string (c->email ? c->email : ""));
      json_object_set_new (item, "active", json_boolean (c->active));
      json_object_set_new (item, "is_admin", json_boolean (c->is_admin));
    }
    json_array_append_new (out, item);
  }
  return out;
}
