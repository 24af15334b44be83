/* message.c — the words of the job seeker's messages (migration 016), in
 * the booking's language (nb, sv, da, en; anything else gets English):
 * subject, plain text, HTML and the short SMS, made from the booking when
 * the message is sent.  Pure: no I/O. */
#include "kb-private.h"

#include <string.h>

typedef struct {
  const gchar *lang;
  const gchar *subject[KB_MESSAGE_KINDS]; /* with {date} and {time} */
  const gchar *intro[KB_MESSAGE_KINDS];
  const gchar *when, *service, *with, *reference, *join, *manage, *prepare, *no_link, *sms_join;
  const gchar *date_format;
} Words;

/* Order of KbMessageKind: confirmation, change, cancellation, reminder, link. */
static const Words words[] = {
  { "en",
    { "Your video meeting on {date} at {time}",
      "Changed: your video meeting is now on {date} at {time}",
      "Cancelled: your video meeting on {date} at {time}",
      "Reminder: video meeting on {date} at {time}",
      "Your link to the video meeting on {date} at {time}" },
    { "Your video meeting is booked.", "Your video meeting has been changed. This is the new time.",
      "Your video meeting has been cancelled.", "This is a reminder of your video meeting.",
      "Here is the link to your video meeting, as you asked." },
    "When",
    "Service",
    "With",
    "Reference",
    "Join the meeting",
    "Change or cancel",
    "Before the meeting: open the link a few minutes early to check your camera and microphone, "
    "and find a quiet place.",
    "Use the link from your booking confirmation to join.",
    "Join",
    "%d/%m/%Y" },
  { "nb",
    { "Videomøtet ditt {date} kl. {time}", "Endret: videomøtet ditt er nå {date} kl. {time}",
      "Avlyst: videomøtet ditt {date} kl. {time}", "Påminnelse: videomøte {date} kl. {time}",
      "Lenken til videomøtet ditt {date} kl. {time}" },
    { "Videomøtet ditt er bestilt.", "Videomøtet ditt er endret. Dette er den nye tiden.",
      "Videomøtet ditt er avlyst.", "Dette er en påminnelse om videomøtet ditt.",
      "Her er lenken til videomøtet ditt, som du ba om." },
    "Når",
    "Tjeneste",
    "Med",
    "Referanse",
    "Bli med i møtet",
    "Endre eller avbestill",
    "Før møtet: åpne lenken noen minutter før for å sjekke kamera og mikrofon, og finn et "
    "rolig sted.",
    "Bruk lenken fra bekreftelsen for å bli med.",
    "Bli med",
    "%d.%m.%Y" },
  { "sv",
    { "Ditt videomöte {date} kl. {time}", "Ändrat: ditt videomöte är nu {date} kl. {time}",
      "Inställt: ditt videomöte {date} kl. {time}", "Påminnelse: videomöte {date} kl. {time}",
      "Länken till ditt videomöte {date} kl. {time}" },
    { "Ditt videomöte är bokat.", "Ditt videomöte har ändrats. Det här är den nya tiden.",
      "Ditt videomöte har ställts in.", "Det här är en påminnelse om ditt videomöte.",
      "Här är länken till ditt videomöte, som du bad om." },
    "När",
    "Tjänst",
    "Med",
    "Referens",
    "Gå med i mötet",
    "Ändra eller avboka",
    "Före mötet: öppna länken några minuter innan för att kontrollera kamera och mikrofon, och "
    "hitta en lugn plats.",
    "Använd länken från bokningsbekräftelsen för att gå med.",
    "Gå med",
    "%Y-%m-%d" },
  { "da",
    { "Dit videomøde {date} kl. {time}", "Ændret: dit videomøde er nu {date} kl. {time}",
      "Aflyst: dit videomøde {date} kl. {time}", "Påmindelse: videomøde {date} kl. {time}",
      "Linket til dit videomøde {date} kl. {time}" },
    { "Dit videomøde er booket.", "Dit videomøde er ændret. Dette er det nye tidspunkt.",
      "Dit videomøde er aflyst.", "Dette er en påmindelse om dit videomøde.",
      "Her er linket til dit videomøde, som du bad om." },
    "Hvornår",
    "Ydelse",
    "Med",
    "Reference",
    "Deltag i mødet",
    "Ændr eller aflys",
    "Før mødet: åbn linket et par minutter før for at tjekke kamera og mikrofon, og find et "
    "roligt sted.",
    "Brug linket fra bookingbekræftelsen for at deltage.",
    "Deltag",
    "%d.%m.%Y" },
};

static const Words *
words_for (const gchar *language)
{
  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_strcmp0 (language, words[i].lang) == 0)
      return &words[i];
  return &words[0];
}

const gchar *
kb_message_kind_name (KbMessageKind kind)
{
  static const gchar *names[] = { "confirmation", "change", "cancellation", "reminder", "link" };
  return kind < G_N_ELEMENTS (names) ? names[kind] : "confirmation";
}

KbMessageKind
kb_message_kind_from_name (const gchar *name)
{
  for (guint k = 0; k < KB_MESSAGE_KINDS; k++)
    if (g_strcmp0 (name, kb_message_kind_name (k)) == 0)
      return k;
  return KB_MESSAGE_CONFIRMATION;
}

void
kb_message_free (KbMessage *m)
{
  if (!m)
    return;
  g_free (m->subject);
  g_free (m->text);
  g_free (m->html);
  g_free (m->sms);
  g_free (m);
}

static void
line (GString *text, GString *html, const gchar *label, const gchar *value)
{
  g_autofree gchar *l = g_markup_escape_text (label, -1);
  g_autofree gchar *v = g_markup_escape_text (value ? value : "", -1);
  g_string_append_printf (text, "%s: %s\n", label, value ? value : "");
  g_string_append_printf (html, "<tr><th align=\"left\">%s</th><td>%s</td></tr>\n", l, v);
}

static void
link_line (GString *text, GString *html, const gchar *label, const gchar *url)
{
  g_autofree gchar *l = g_markup_escape_text (label, -1);
  g_autofree gchar *u = g_markup_escape_text (url, -1);
  g_string_append_printf (text, "%s: %s\n", label, url);
  g_string_append_printf (html, "<p><a href=\"%s\">%s</a></p>\n", u, l);
}

KbMessage *
kb_message_build (KbMessageKind kind, const KbBooking *b, const gchar *join_url,
                  const gchar *manage_url)
{
  const Words *w = words_for (b->language);
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (b->office_tz ? b->office_tz : "UTC");
  if (!tz)
    tz = g_time_zone_new_utc ();
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (b->starts_at / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
  g_autofree gchar *date = g_date_time_format (local, w->date_format);
  g_autofree gchar *time = g_date_time_format (local, "%H:%M");
  g_autofree gchar *when = g_strdup_printf ("%s %s (%s)", date, time, b->office_tz);
  g_autofree gchar *with = g_strdup_printf ("%s, %s", b->caseworker_name, b->office_name);
  gboolean live = kind != KB_MESSAGE_CANCELLATION;
  KbMessage *m = g_new0 (KbMessage, 1);
  GString *text = g_string_new (NULL);
  GString *html = g_string_new (NULL);
  GString *sms = g_string_new (NULL);

  GString *subject = g_string_new (w->subject[kind]);
  g_string_replace (subject, "{date}", date, 1);
  g_string_replace (subject, "{time}", time, 1);
  m->subject = g_string_free (subject, FALSE);

  g_autofree gchar *intro = g_markup_escape_text (w->intro[kind], -1);
  g_string_append_printf (text, "%s\n\n", w->intro[kind]);
  g_string_append_printf (html,
                          "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"></head>"
                          "<body>\n<p>%s</p>\n<table>\n",
                          w->lang, intro);
  line (text, html, w->when, when);
  line (text, html, w->service, b->service_name);
  line (text, html, w->with, with);
  line (text, html, w->reference, b->reference);
  g_string_append (html, "</table>\n");
  g_string_append_c (text, '\n');
  if (live && join_url) {
    link_line (text, html, w->join, join_url);
    if (manage_url)
      link_line (text, html, w->manage, manage_url);
  } else if (live) {
    g_autofree gchar *n = g_markup_escape_text (w->no_link, -1);
    g_string_append_printf (text, "%s\n", w->no_link);
    g_string_append_printf (html, "<p>%s</p>\n", n);
  }
  if (live && kind != KB_MESSAGE_LINK) {
    g_autofree gchar *p = g_markup_escape_text (w->prepare, -1);
    g_string_append_printf (text, "\n%s\n", w->prepare);
    g_string_append_printf (html, "<p>%s</p>\n", p);
  }
  g_string_append (html, "</body></html>\n");

  g_string_append_printf (sms, "%s %s %s. %s: %s.", w->intro[kind], date, time, w->reference,
                          b->reference);
  if (live && join_url)
    g_string_append_printf (sms, " %s: %s", w->sms_join, join_url);
  m->text = g_string_free (text, FALSE);
  m->html = g_string_free (html, FALSE);
  m->sms = g_string_free (sms, FALSE);
  return m;
}
