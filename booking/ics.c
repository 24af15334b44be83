/* ics.c — the calendar file for a booking (RFC 5545).  Every instant is
 * written in UTC, so the file needs no VTIMEZONE and cannot be misread
 * around a DST change (see utc_stamp). */
#include "kb-private.h"

#include <string.h>

/* TEXT value escaping (RFC 5545 3.3.11). */
static void
append_text (GString *out, const gchar *text)
{
  for (const gchar *p = text ? text : ""; *p; p++)
    switch (*p) {
    case '\\':
      g_string_append (out, "\\\\");
      break;
    case ';':
      g_string_append (out, "\\;");
      break;
    case ',':
      g_string_append (out, "\\,");
      break;
    case '\n':
      g_string_append (out, "\\n");
      break;
    case '\r':
      break;
    default:
      g_string_append_c (out, *p);
    }
}

/* Adds one content line folded at 75 octets, never inside a UTF-8
 * sequence (RFC 5545 3.1). */
static void
add_line (GString *ics, const gchar *line)
{
  gsize len = strlen (line), col = 0;

  for (gsize i = 0; i < len; i++) {
    gboolean starts_char = ((guchar) line[i] & 0xC0) != 0x80;

    if (starts_char && col >= 74) {
      g_string_append (ics, "\r\n ");
      col = 1;
    }
    g_string_append_c (ics, line[i]);
    col++;
  }
  g_string_append (ics, "\r\n");
}

static void add_linef (GString *ics, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

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

/* An instant as a UTC DATE-TIME ("...Z", RFC 5545 3.3.5 form 2).  A local
 * time with a TZID cannot name the second pass through the repeated hour
 * of an autumn change: the RFC reads it as the first, so a meeting at 02:30
 * winter time would show an hour early.  UTC is never ambiguous, and every
 * calendar program shows it in its user's own zone. */
static gchar *
utc_stamp (gint64 us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return g_date_time_format (utc, "%Y%m%dT%H%M%SZ");
}

/* The lines that make an event this booking's, the same in the file a
 * job seeker downloads, the invitation by e-mail and a caseworker's feed:
 * UID (stable for the booking's whole life, so that moves and
 * cancellations update the same event), DTSTAMP, SEQUENCE and the time. */
static void
add_event_times (GString *ics, const KbBooking *b, const gchar *uid_domain, const gchar *dtstamp)
{
  g_autofree gchar *start = utc_stamp (b->starts_at), *end = utc_stamp (b->ends_at);

  add_linef (ics, "UID:kontor-booking-%" G_GINT64_FORMAT "-%s@%s", b->id,
             b->reference ? b->reference : "", uid_domain ? uid_domain : "kontor.invalid");
  add_linef (ics, "DTSTAMP:%s", dtstamp);
  add_linef (ics, "SEQUENCE:%d", b->sequence);
  add_linef (ics, "DTSTART:%s", start);
  add_linef (ics, "DTEND:%s", end);
}

/* SUMMARY: the service and the reference (text is scratch space). */
static void
add_summary (GString *ics, GString *text, const KbBooking *b)
{
  g_string_assign (text, "SUMMARY:");
  append_text (text, b->service_name);
  g_string_append (text, " (");
  append_text (text, b->reference);
  g_string_append (text, ")");
  add_line (ics, text->str);
}

/* "mailto:addr" of "Name <addr>" or "addr". */
static gchar *
mailto (const gchar *address)
{
  const gchar *lt = strchr (address, '<'), *gt = lt ? strchr (lt, '>') : NULL;
  g_autofree gchar *bare =
      lt && gt ? g_strndup (lt + 1, (gsize) (gt - lt - 1)) : g_strdup (address);
  return g_strdup_printf ("mailto:%s", g_strstrip (bare));
}

static gchar *
build (const KbBooking *b, const gchar *method, const gchar *join_url, const gchar *manage_url,
       const gchar *uid_domain, const gchar *organizer, const gchar *attendee, gint64 now)
{
  GString *ics = g_string_new (NULL);
  g_autofree gchar *dtstamp = utc_stamp (now);
  g_autoptr (GString) text = g_string_new (NULL);

  add_line (ics, "BEGIN:VCALENDAR");
  add_line (ics, "VERSION:2.0");
  add_line (ics, "PRODID:-//kontor//booking//EN");
  add_line (ics, "CALSCALE:GREGORIAN");
  add_linef (ics, "METHOD:%s", method);
  add_line (ics, "BEGIN:VEVENT");
  add_event_times (ics, b, uid_domain, dtstamp);
  if (organizer) {
    g_autofree gchar *o = mailto (organizer), *a = mailto (attendee);
    add_linef (ics, "ORGANIZER:%s", o);
    add_linef (ics, "ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:%s", a);
  }

  add_summary (ics, text, b);

  g_string_assign (text, "DESCRIPTION:");
  append_text (text, "Video meeting with ");
  append_text (text, b->caseworker_name);
  append_text (text, ", ");
  append_text (text, b->office_name);
  append_text (text, ". Reference ");
  append_text (text, b->reference);
  append_text (text, ".");
  if (join_url) {
    append_text (text, "\nJoin: ");
    append_text (text, join_url);
  }
  if (manage_url) {
    append_text (text, "\nChange or cancel: ");
    append_text (text, manage_url);
  }
  add_line (ics, text->str);
  if (join_url)
    add_linef (ics, "URL:%s", join_url);
  add_line (ics, "LOCATION:Video meeting");
  add_line (ics, b->status == KB_STATUS_CANCELLED || g_strcmp0 (method, "CANCEL") == 0
                     ? "STATUS:CANCELLED"
                     : "STATUS:CONFIRMED");
  add_line (ics, "TRANSP:OPAQUE");
  add_line (ics, "END:VEVENT");
  add_line (ics, "END:VCALENDAR");
  return g_string_free (ics, FALSE);
}

gchar *
kb_ics_build (const KbBooking *b, const gchar *join_url, const gchar *manage_url,
              const gchar *uid_domain, gint64 now)
{
  return build (b, "PUBLISH", join_url, manage_url, uid_domain, NULL, NULL, now);
}

gchar *
kb_ics_build_invitation (const KbBooking *b, const gchar *method, const gchar *join_url,
                         const gchar *manage_url, const gchar *uid_domain, const gchar *organizer,
                         const gchar *attendee, gint64 now)
{
  return build (b, method, join_url, manage_url, uid_domain, organizer, attendee, now);
}

/* A caseworker's feed: one VEVENT per meeting, with what the day view
 * needs (time, service, reference) and nothing about the job seeker.  The
 * UID is the booking's own (build above), so a meeting the caseworker also
 * has from elsewhere is the same event. */
gchar *
kb_ics_build_feed (GPtrArray *bookings, const gchar *calendar_name, const gchar *uid_domain,
                   gint64 now)
{
  GString *ics = g_string_new (NULL);
  g_autofree gchar *dtstamp = utc_stamp (now);
  g_autoptr (GString) text = g_string_new (NULL);

  add_line (ics, "BEGIN:VCALENDAR");
  add_line (ics, "VERSION:2.0");
  add_line (ics, "PRODID:-//kontor//feed//EN");
  add_line (ics, "CALSCALE:GREGORIAN");
  add_line (ics, "METHOD:PUBLISH");
  g_string_assign (text, "X-WR-CALNAME:");
  append_text (text, calendar_name);
  add_line (ics, text->str);
  /* Calendar programs poll a subscription; an hour is what most ask for. */
  add_line (ics, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
  add_line (ics, "X-PUBLISHED-TTL:PT1H");
  for (guint i = 0; bookings && i < bookings->len; i++) {
    const KbBooking *b = g_ptr_array_index (bookings, i);

    add_line (ics, "BEGIN:VEVENT");
    add_event_times (ics, b, uid_domain, dtstamp);
    add_summary (ics, text, b);
    g_string_assign (text, "DESCRIPTION:");
    append_text (text, "Video meeting. Reference ");
    append_text (text, b->reference);
    append_text (text, ".");
    add_line (ics, text->str);
    add_line (ics, "LOCATION:Video meeting");
    add_line (ics, b->status == KB_STATUS_CANCELLED ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
    add_line (ics, b->status == KB_STATUS_CANCELLED ? "TRANSP:TRANSPARENT" : "TRANSP:OPAQUE");
    add_line (ics, "END:VEVENT");
  }
  add_line (ics, "END:VCALENDAR");
  return g_string_free (ics, FALSE);
}

gchar *
kb_ics_uid_domain (const gchar *public_url)
{
  const gchar *host = strstr (public_url, "://");
  host = host ? host + 3 : public_url;
  gsize n = strcspn (host, ":/");
  return n ? g_strndup (host, n) : g_strdup ("kontor.invalid");
}
