/* clock.c — the one clock the server believes, the one reading of a
 * calendar date, and the module's error domain.  A demo or a test shifts
 * the clock by an offset instead of each caller inventing its own idea of
 * "now". */
#include "kb-private.h"

#include <string.h>

/* The quark's name is the first argument, spaces and all. */
/* clang-format off */
G_DEFINE_QUARK (kb-error-quark, kb_error)
/* clang-format on */

/* Set at start-up (configuration) or by a test, read everywhere: an atomic
 * keeps it honest if a worker thread ever asks. */
static gint64 clock_offset_us;

gint64
kb_clock_now (void)
{
  return g_get_real_time () + __atomic_load_n (&clock_offset_us, __ATOMIC_RELAXED);
}

void
kb_clock_set_offset (gint64 offset_us)
{
  __atomic_store_n (&clock_offset_us, offset_us, __ATOMIC_RELAXED);
}

gboolean
kb_date_parse (const gchar *text, GDate *out)
{
  /* Digits where digits belong: sscanf's %u alone also takes a sign or
   * blanks ("2026-+1-01"), which would reach the database as a date. */
  static const gchar form[] = "dddd-dd-dd";
  guint y, m, d;
  if (!text || strlen (text) != sizeof form - 1)
    return FALSE;
  for (gsize i = 0; form[i]; i++)
    if (form[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != form[i])
      return FALSE;
  y = (guint) g_ascii_digit_value (text[0]) * 1000 + (guint) g_ascii_digit_value (text[1]) * 100
      + (guint) g_ascii_digit_value (text[2]) * 10 + (guint) g_ascii_digit_value (text[3]);
  m = (guint) g_ascii_digit_value (text[5]) * 10 + (guint) g_ascii_digit_value (text[6]);
  d = (guint) g_ascii_digit_value (text[8]) * 10 + (guint) g_ascii_digit_value (text[9]);
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  if (out)
    g_date_set_dmy (out, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}
