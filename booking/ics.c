/* ics.c — the calendar file for a booking (RFC 5545).  The VTIMEZONE is
 * built from the system's zone data through GTimeZone: the transitions a
 * year either side of the meeting, so a calendar that lacks the zone still
 * shows the right local time. */
#include "kb-private.h"

#include <string.h>

#define DAY_S ((gint64) 86400)

/* TEXT value escaping (RFC 5545 3.3.11). */
static void
append_text (GString *out, const gchar *text)
{
  for (const gchar *p = text ? text : ""; *p; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case ';': g_string_append (out, "\\;"); break;
      case ',': g_string_append (out, "\\,"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': break;
      default: g_string_append_c (out, *p);
      }
}

/* Adds one content line folded at 75 octets, never inside a UTF-8
 * sequence (RFC 5545 3.1). */
static void
add_line (GString *ics, const gchar *line)
{
  gsize len = strlen (line), col = 0;

  for (gsize i = 0; i < len; i++)
    {
      gboolean starts_char = ((guchar) line[i] & 0xC0) != 0x80;

      if (starts_char && col >= 74)
        {
          g_string_append (ics, "\r\n ");
          col = 1;
        }
      g_string_append_c (ics, line[i]);
      col++;
    }
  g_string_append (ics, "\r\n");
}

static void
add_linef (GString *ics, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
add_linef (GString *ics, const gchar *format, ...)
{
  va_list ap;
  g_autofree gchar *line = NULL;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  add_line (ics, line);
}

static gchar *
format_offset (gint32 seconds)
{
  gint32 a = ABS (seconds);

  return g_strdup_printf ("%c%02d%02d", seconds < 0 ? '-' : '+', a / 3600, (a / 60) % 60);
}

static gint32
offset_at (GTimeZone *tz, gint64 t)
{
  return g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t));
}

/* One STANDARD/DAYLIGHT observance starting at UTC second t. */
static void
add_observance (GString *ics, GTimeZone *tz, gint64 t)
{
  gint interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t);
  gint32 from = offset_at (tz, t - 1), to = g_time_zone_get_offset (tz, interval);
  gboolean dst = g_time_zone_is_dst (tz, interval);
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (t + from);
  g_autofree gchar *local = g_date_time_format (utc, "%Y%m%dT%H%M%S");
  g_autofree gchar *f = format_offset (from), *o = format_offset (to);

  add_line (ics, dst ? "BEGIN:DAYLIGHT" : "BEGIN:STANDARD");
  add_linef (ics, "DTSTART:%s", local);      /* local time before the change */
  add_linef (ics, "TZOFFSETFROM:%s", f);
  add_linef (ics, "TZOFFSETTO:%s", o);
  add_linef (ics, "TZNAME:%s", g_time_zone_get_abbreviation (tz, interval));
  add_line (ics, dst ? "END:DAYLIGHT" : "END:STANDARD");
}

static void
add_vtimezone (GString *ics, const gchar *zone, GTimeZone *tz, gint64 around_s)
{
  gint64 from = around_s - 366 * DAY_S, to = around_s + 366 * DAY_S;
  gboolean any = FALSE;

  add_line (ics, "BEGIN:VTIMEZONE");
  add_linef (ics, "TZID:%s", zone);
  /* Day steps find each change; bisection finds its second. */
  for (gint64 day = from; day < to; day += DAY_S)
    {
      gint64 lo = day, hi = day + DAY_S;

      if (offset_at (tz, lo) == offset_at (tz, hi))
        continue;
      while (hi - lo > 1)
        {
          gint64 mid = lo + (hi - lo) / 2;

          if (offset_at (tz, mid) == offset_at (tz, lo))
            lo = mid;
          else
            hi = mid;
        }
      add_observance (ics, tz, hi);
      any = TRUE;
    }
  if (!any)
    {
      /* A zone without changes: one standard observance. */
      gint interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, around_s);
      g_autofree gchar *o = format_offset (g_time_zone_get_offset (tz, interval));

      add_line (ics, "BEGIN:STANDARD");
      add_line (ics, "DTSTART:19700101T000000");
      add_linef (ics, "TZOFFSETFROM:%s", o);
      add_linef (ics, "TZOFFSETTO:%s", o);
      add_linef (ics, "TZNAME:%s", g_time_zone_get_abbreviation (tz, interval));
      add_line (ics, "END:STANDARD");
    }
  add_line (ics, "END:VTIMEZONE");
}

static gchar *
local_stamp (GTimeZone *tz, gint64 us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%Y%m%dT%H%M%S");
}

gchar *
kb_ics_build (const KbBooking *b, const gchar *join_url, const gchar *manage_url,
              const gchar *uid_domain, gint64 now)
{
  const gchar *zone = b->office_tz ? b->office_tz : "UTC";
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (zone);
  GString *ics = g_string_new (NULL);
  g_autoptr (GDateTime) stamp = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
  g_autofree gchar *dtstamp = g_date_time_format (stamp, "%Y%m%dT%H%M%SZ");
  g_autofree gchar *start = NULL, *end = NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  if (tz == NULL)
    {
      zone = "UTC";
      tz = g_time_zone_new_utc ();
    }
  start = local_stamp (tz, b->starts_at);
  end = local_stamp (tz, b->ends_at);

  add_line (ics, "BEGIN:VCALENDAR");
  add_line (ics, "VERSION:2.0");
  add_line (ics, "PRODID:-//kontor//booking//EN");
  add_line (ics, "CALSCALE:GREGORIAN");
  add_line (ics, "METHOD:PUBLISH");
  add_vtimezone (ics, zone, tz, b->starts_at / G_USEC_PER_SEC);
  add_line (ics, "BEGIN:VEVENT");
  /* Stable for the booking's whole life: moves and cancellations update
   * the same event. */
  add_linef (ics, "UID:kontor-booking-%" G_GINT64_FORMAT "-%s@%s", b->id,
             b->reference ? b->reference : "", uid_domain ? uid_domain : "kontor.invalid");
  add_linef (ics, "DTSTAMP:%s", dtstamp);
  add_linef (ics, "SEQUENCE:%d", b->sequence);
  add_linef (ics, "DTSTART;TZID=%s:%s", zone, start);
  add_linef (ics, "DTEND;TZID=%s:%s", zone, end);

  g_string_assign (text, "SUMMARY:");
  append_text (text, b->service_name);
  g_string_append (text, " (");
  append_text (text, b->reference);
  g_string_append (text, ")");
  add_line (ics, text->str);

  g_string_assign (text, "DESCRIPTION:");
  append_text (text, "Video meeting with ");
  append_text (text, b->caseworker_name);
  append_text (text, ", ");
  append_text (text, b->office_name);
  append_text (text, ". Reference ");
  append_text (text, b->reference);
  append_text (text, ".");
  if (join_url)
    {
      append_text (text, "\nJoin: ");
      append_text (text, join_url);
    }
  if (manage_url)
    {
      append_text (text, "\nChange or cancel: ");
      append_text (text, manage_url);
    }
  add_line (ics, text->str);
  if (join_url)
    add_linef (ics, "URL:%s", join_url);
  add_line (ics, "LOCATION:Video meeting");
  add_line (ics, b->status == KB_STATUS_CANCELLED ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
  add_line (ics, "TRANSP:OPAQUE");
  add_line (ics, "END:VEVENT");
  add_line (ics, "END:VCALENDAR");
  return g_string_free (ics, FALSE);
}
