/* send.c — handing one message over: e-mail to an SMTP server, SMS to the
 * agency's HTTP gateway, both with libcurl.  Blocking: outbox.c runs these
 * on a worker thread, never on the main loop.  Errors say what the server
 * answered, never to whom or what. */
#include "kb-private.h"

#include <curl/curl.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 10L
#define TIMEOUT_S 60L

static gboolean
curl_failed (CURLcode code, const gchar *errbuf, const gchar *what, GError **error)
{
  if (code == CURLE_OK)
    return FALSE;
  g_set_error (error, KB_ERROR, KB_ERROR_UNAVAILABLE, "%s: %s", what,
               errbuf && *errbuf ? errbuf : curl_easy_strerror (code));
  return TRUE;
}

/* ---- e-mail ------------------------------------------------------------- */

/* A header value in RFC 2047 encoded words when it is not plain ASCII,
 * cut at character boundaries so that no word passes 75 characters. */
static gchar *
header_text (const gchar *value)
{
  gboolean ascii = TRUE;
  for (const guchar *p = (const guchar *) value; *p; p++)
    ascii = ascii && *p >= 0x20 && *p < 0x7f;
  if (ascii)
    return g_strdup (value);
  GString *out = g_string_new (NULL);
  const gchar *p = value;
  while (*p) {
    const gchar *end = p;
    while (*end && end - p < 45)
      end = g_utf8_next_char (end);
    g_autofree gchar *b64 = g_base64_encode ((const guchar *) p, (gsize) (end - p));
    g_string_append_printf (out, "%s=?UTF-8?B?%s?=", out->len ? "\r\n " : "", b64);
    p = end;
  }
  return g_string_free (out, FALSE);
}

/* The address inside "Name <addr>", or the whole text. */
static gchar *
bare_address (const gchar *from)
{
  const gchar *lt = strchr (from, '<'), *gt = lt ? strchr (lt, '>') : NULL;
  return lt && gt ? g_strndup (lt + 1, (gsize) (gt - lt - 1)) : g_strstrip (g_strdup (from));
}

/* RFC 5322 date, in English whatever the locale. */
static gchar *
mail_date (gint64 now_us)
{
  static const gchar *days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const gchar *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (now_us / G_USEC_PER_SEC);
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (t) - 1],
                          g_date_time_get_day_of_month (t), months[g_date_time_get_month (t) - 1],
                          g_date_time_get_year (t), g_date_time_get_hour (t),
                          g_date_time_get_minute (t), g_date_time_get_second (t));
}

static curl_mimepart *
text_part (curl_mime *mime, const gchar *data, const gchar *type, const gchar *encoder)
{
  curl_mimepart *part = curl_mime_addpart (mime);
  curl_mime_data (part, data, CURL_ZERO_TERMINATED);
  curl_mime_type (part, type);
  curl_mime_encoder (part, encoder);
  return part;
}

gboolean
kb_send_email (const KbNotifyOptions *o, const gchar *to, const gchar *message_id,
               const KbMessage *m, const gchar *ics, const gchar *ics_method, gint64 now_us,
               GError **error)
{
  CURL *c = curl_easy_init ();
  char errbuf[CURL_ERROR_SIZE] = "";
  g_autofree gchar *from = bare_address (o->smtp_from);
  g_autofree gchar *mail_from = g_strdup_printf ("<%s>", from);
  g_autofree gchar *rcpt_to = g_strdup_printf ("<%s>", to);
  g_autofree gchar *subject = header_text (m->subject);
  g_autofree gchar *date = mail_date (now_us);
  g_autofree gchar *h_subject = g_strdup_printf ("Subject: %s", subject);
  g_autofree gchar *h_from = g_strdup_printf ("From: %s", o->smtp_from);
  g_autofree gchar *h_to = g_strdup_printf ("To: <%s>", to);
  g_autofree gchar *h_id = g_strdup_printf ("Message-ID: %s", message_id);
  g_autofree gchar *h_date = g_strdup_printf ("Date: %s", date);
  g_autofree gchar *ics_type =
      g_strdup_printf ("text/calendar; charset=UTF-8; method=%s", ics_method);
  struct curl_slist *rcpt = NULL, *headers = NULL, *inline_header = NULL;
  curl_mime *mime = NULL, *alt = NULL;
  gboolean ok;

  if (!c) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "curl_easy_init failed");
    return FALSE;
  }
  rcpt = curl_slist_append (rcpt, rcpt_to);
  headers = curl_slist_append (headers, h_date);
  headers = curl_slist_append (headers, h_from);
  headers = curl_slist_append (headers, h_to);
  headers = curl_slist_append (headers, h_subject);
  headers = curl_slist_append (headers, h_id);
  headers = curl_slist_append (headers, "MIME-Version: 1.0");
  headers = curl_slist_append (headers, "Auto-Submitted: auto-generated");

  mime = curl_mime_init (c);
  alt = curl_mime_init (c);
  text_part (alt, m->text, "text/plain; charset=UTF-8", "quoted-printable");
  text_part (alt, m->html, "text/html; charset=UTF-8", "quoted-printable");
  curl_mimepart *part = curl_mime_addpart (mime);
  curl_mime_subparts (part, alt);
  curl_mime_type (part, "multipart/alternative");
  inline_header = curl_slist_append (NULL, "Content-Disposition: inline");
  curl_mime_headers (part, inline_header, 1);
  if (ics) {
    part = text_part (mime, ics, ics_type, "base64");
    curl_mime_filename (part, "meeting.ics");
  }

  curl_easy_setopt (c, CURLOPT_URL, o->smtp_url);
  curl_easy_setopt (c, CURLOPT_MAIL_FROM, mail_from);
  curl_easy_setopt (c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (c, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_TIMEOUT, TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_USE_SSL, (long) o->smtp_tls);
  if (o->smtp_ca_file && *o->smtp_ca_file)
    curl_easy_setopt (c, CURLOPT_CAINFO, o->smtp_ca_file);
  if (o->smtp_user && *o->smtp_user) {
    curl_easy_setopt (c, CURLOPT_USERNAME, o->smtp_user);
    curl_easy_setopt (c, CURLOPT_PASSWORD, o->smtp_password ? o->smtp_password : "");
  }
  ok = !curl_failed (curl_easy_perform (c), errbuf, "SMTP", error);

  curl_easy_cleanup (c);
  curl_mime_free (mime);
  curl_slist_free_all (rcpt);
  curl_slist_free_all (headers);
  return ok;
}

/* ---- SMS ------------------------------------------------------------------- */

/* text as the inside of a JSON string. */
static void
append_json_escaped (GString *out, const gchar *text)
{
  for (const guchar *p = (const guchar *) text; *p; p++) {
    switch (*p) {
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
      if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (gchar) *p);
    }
  }
}

gchar *
kb_sms_body (const gchar *template, const gchar *to, const gchar *text, const gchar *id)
{
  GString *out = g_string_new (NULL);
  const gchar *p = template;
  while (*p) {
    const gchar *open = strstr (p, "{{");
    if (!open) {
      g_string_append (out, p);
      break;
    }
    g_string_append_len (out, p, open - p);
    const gchar *value = NULL;
    gsize skip = 0;
    if (g_str_has_prefix (open, "{{to}}"))
      value = to, skip = 6;
    else if (g_str_has_prefix (open, "{{text}}"))
      value = text, skip = 8;
    else if (g_str_has_prefix (open, "{{id}}"))
      value = id, skip = 6;
    if (value) {
      append_json_escaped (out, value);
      p = open + skip;
    } else {
      g_string_append (out, "{{");
      p = open + 2;
    }
  }
  return g_string_free (out, FALSE);
}

static size_t
discard (char *ptr, size_t size, size_t n, void *data)
{
  return size * n;
}

gboolean
kb_send_sms (const KbNotifyOptions *o, const gchar *to, const gchar *message_id, const gchar *text,
             GError **error)
{
  CURL *c = curl_easy_init ();
  char errbuf[CURL_ERROR_SIZE] = "";
  g_autofree gchar *body = kb_sms_body (o->sms_body, to, text, message_id);
  struct curl_slist *headers = NULL;
  long status = 0;
  gboolean ok;

  if (!c) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "curl_easy_init failed");
    return FALSE;
  }
  for (guint i = 0; o->sms_headers && o->sms_headers[i]; i++)
    if (*o->sms_headers[i])
      headers = curl_slist_append (headers, o->sms_headers[i]);
  curl_easy_setopt (c, CURLOPT_URL, o->sms_url);
  curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_TIMEOUT, TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  ok = !curl_failed (curl_easy_perform (c), errbuf, "SMS gateway", error);
  if (ok) {
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
      g_set_error (error, KB_ERROR, KB_ERROR_UNAVAILABLE, "SMS gateway answered HTTP %ld", status);
      ok = FALSE;
    }
  }
  curl_easy_cleanup (c);
  curl_slist_free_all (headers);
  return ok;
}
