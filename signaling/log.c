/* log.c — where kontor's log lines go ([server] log_format).
 *
 * Under systemd stderr is the journal: the fields (REQUEST_ID, MEETING_ID,
 * the code location) go to it as journal fields.  On a terminal a line of
 * text.  Anywhere else one JSON object per line on stderr, for a log
 * shipper: time (UTC, ms), level, domain, message and every other field
 * by its own name.  Every level goes to stderr (GLib's own writer sends
 * messages, info and debug to stdout); G_MESSAGES_DEBUG still decides
 * whether info and debug are written at all.
 *
 * The writer may run on any thread (GStreamer's): it keeps no state but
 * the format chosen at start, and writes each line with one write(). */

#include "signaling/ks-server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef enum { FORMAT_JOURNAL, FORMAT_JSON, FORMAT_TEXT } Format;

static Format format;

static const gchar *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "message";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

/* A field's value as given: NUL-terminated when length is negative. */
static gsize
field_length (const GLogField *f)
{
  return f->length < 0 ? strlen (f->value) : (gsize) f->length;
}

/* Appends text as a JSON string: quotes and backslashes escaped, control
 * characters as \uXXXX (or their short forms), and each byte that is not
 * part of valid UTF-8 as U+FFFD, so that the line always parses. */
static void
append_json_string (GString *out, const gchar *text, gsize len)
{
  const gchar *p = text, *end = text + len;
  g_string_append_c (out, '"');
  while (p < end) {
    guchar c = (guchar) *p;
    if (c < 0x80) {
      switch (c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          g_string_append_printf (out, "\\u%04x", c);
        else
          g_string_append_c (out, (gchar) c);
      }
      p++;
      continue;
    }
    gunichar u = g_utf8_get_char_validated (p, end - p);
    if (u == (gunichar) -1 || u == (gunichar) -2) {
      g_string_append (out, "\\ufffd");
      p++;
      continue;
    }
    const gchar *next = g_utf8_next_char (p);
    g_string_append_len (out, p, next - p);
    p = next;
  }
  g_string_append_c (out, '"');
}

/* Fields the line carries under names of its own (or not at all). */
static gboolean
is_own_field (const gchar *key)
{
  return g_str_equal (key, "MESSAGE") || g_str_equal (key, "PRIORITY")
         || g_str_equal (key, "GLIB_DOMAIN") || g_str_equal (key, "GLIB_OLD_LOG_API");
}

static const GLogField *
find_field (const GLogField *fields, gsize n, const gchar *key)
{
  for (gsize i = 0; i < n; i++)
    if (g_str_equal (fields[i].key, key))
      return &fields[i];
  return NULL;
}

gchar *
ks_log_json_line (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gint64 unix_us)
{
  GString *out = g_string_sized_new (256);
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  g_autofree gchar *second = t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%S") : g_strdup ("?");
  g_string_append_printf (out, "{\"time\":\"%s.%03dZ\",\"level\":\"%s\"", second,
                          (int) (unix_us % G_USEC_PER_SEC / 1000), level_name (level));
  const GLogField *domain = find_field (fields, n_fields, "GLIB_DOMAIN");
  if (domain && domain->value) {
    g_string_append (out, ",\"domain\":");
    append_json_string (out, domain->value, field_length (domain));
  }
  const GLogField *message = find_field (fields, n_fields, "MESSAGE");
  g_string_append (out, ",\"message\":");
  if (message && message->value)
    append_json_string (out, message->value, field_length (message));
  else
    g_string_append (out, "\"\"");
  for (gsize i = 0; i < n_fields; i++) {
    if (is_own_field (fields[i].key) || !fields[i].value)
      continue;
    g_string_append_c (out, ',');
    append_json_string (out, fields[i].key, strlen (fields[i].key));
    g_string_append_c (out, ':');
    append_json_string (out, fields[i].value, field_length (&fields[i]));
  }
  g_string_append (out, "}\n");
  return g_string_free (out, FALSE);
}

/* GLib's own text ("domain-Message: time: text"), then the ids. */
static gchar *
text_line (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  g_autofree gchar *head =
      g_log_writer_format_fields (level, fields, n_fields, g_log_writer_supports_color (2));
  GString *out = g_string_new (head);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_has_suffix (fields[i].key, "_ID") && fields[i].value)
      g_string_append_printf (out, " %s=%.*s", fields[i].key, (int) field_length (&fields[i]),
                              (const gchar *) fields[i].value);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

static void
write_all (const gchar *line)
{
  gsize len = strlen (line);
  while (len > 0) {
    ssize_t n = write (2, line, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* nowhere left to say it */
    line += n;
    len -= (gsize) n;
  }
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const GLogField *domain = find_field (fields, n_fields, "GLIB_DOMAIN");
  if (g_log_writer_default_would_drop (level, domain ? domain->value : NULL))
    return G_LOG_WRITER_HANDLED;
  if (format == FORMAT_JOURNAL
      && g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  g_autofree gchar *line = format == FORMAT_TEXT
                               ? text_line (level, fields, n_fields)
                               : ks_log_json_line (level, fields, n_fields, g_get_real_time ());
  write_all (line);
  return G_LOG_WRITER_HANDLED;
}

gboolean
ks_log_setup (const gchar *log_format, GError **error)
{
  if (g_strcmp0 (log_format, "json") == 0)
    format = FORMAT_JSON;
  else if (g_strcmp0 (log_format, "text") == 0)
    format = FORMAT_TEXT;
  else if (g_strcmp0 (log_format, "auto") == 0)
    format = g_log_writer_is_journald (fileno (stderr)) ? FORMAT_JOURNAL
             : isatty (fileno (stderr))                 ? FORMAT_TEXT
                                                        : FORMAT_JSON;
  else {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "log_format \"%s\" must be auto, json or text",
                 log_format);
    return FALSE;
  }
  g_log_set_writer_func (writer, NULL, NULL);
  return TRUE;
}
