/* km-global.c — what every file of media/ reads and none owns: the debug
 * category, the process-wide settings (filled once by km_init, in
 * km-init.c) and the error quark.  It calls nothing, so that km-init.c,
 * which calls the codec table and the relay buffer, is not called back by
 * them. */
#include "media/km-private.h"

GST_DEBUG_CATEGORY (km_debug);
KmGlobal km_global;

/* The quark's name is the first argument, spaces and all. */
/* clang-format off */
G_DEFINE_QUARK (km-error-quark, km_error)
/* clang-format on */
