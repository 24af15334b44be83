/* km-global.c — what every file of media/ reads and none owns: the debug
 * category, the process-wide settings (filled once by km_init, in
 * km-init.c), the environment switches and the error quark.  It calls
 * no other file of media/, so that km-init.c,
 * which calls the codec table and the relay buffer, is not called back by
 * them. */
#include "media/km-private.h"

GST_DEBUG_CATEGORY (km_debug);
KmGlobal km_global;

/* The quark's name is the first argument, spaces and all. */
/* clang-format off */
G_DEFINE_QUARK (km-error-quark, km_error)
/* clang-format on */

gboolean
km_env_switch (const gchar *name, gint *cache)
{
  gint on = g_atomic_int_get (cache);
  if (on < 0) {
    on = g_strcmp0 (g_getenv (name), "1") == 0;
    g_atomic_int_set (cache, on);
  }
  return on;
}
