/* clock.c — the one clock the server believes, and the module's error
 * domain.  A demo or a test shifts the clock by an offset instead of each
 * caller inventing its own idea of "now". */
#include "kb-private.h"

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
