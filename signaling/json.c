/* json.c — the JSON shapes of bookings, caseworkers and errors, shared by
 * the HTTP API and the WebSocket so both say the same thing. */

#include "signaling/ks-private.h"

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
