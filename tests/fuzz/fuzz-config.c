/* fuzz-config.c — libFuzzer target: the configuration (signaling/config.c),
 * a kontor.conf and KONTOR_* variables, and what the server derives from
 * it for the pages (the ICE servers of /api/v1/config, server.c).
 *
 * Input: the file's text, then after a NUL byte environment entries
 * ("KONTOR_PORT=8080"), one a line.  The file is handed over as a path
 * (/proc/self/fd/N of a memfd), as --config gives it.
 *
 * Checked besides the sanitizers: a configuration that loads holds what
 * its table promises (ports 1-65535, ICE ports in order, limits at least
 * 1, a public URL, tls_cert and tls_key together), its copy is equal, and
 * the ICE servers are a JSON array.
 */
#define _GNU_SOURCE
#include "signaling/ks-server.h"

#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz-common.h"

static int fd = -1;
static gchar *path;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_quiet_logs ();
  fd = memfd_create ("kontor.conf", 0);
  FUZZ_CHECK (fd >= 0, "memfd_create failed");
  path = g_strdup_printf ("/proc/self/fd/%d", fd);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const guint8 *nul = memchr (data, 0, size);
  gsize file_len = nul ? (gsize) (nul - data) : size;
  FUZZ_CHECK (ftruncate (fd, 0) == 0 && pwrite (fd, data, file_len, 0) == (ssize_t) file_len,
              "writing the file failed");
  g_autofree gchar *env_text =
      nul ? g_strndup ((const gchar *) nul + 1, size - file_len - 1) : NULL;
  g_auto (GStrv) env = env_text ? g_strsplit (env_text, "\n", 32) : g_new0 (gchar *, 1);

  g_autoptr (GError) error = NULL;
  g_autoptr (KsConfig) config = ks_config_load (path, env, &error);
  if (!config) {
    FUZZ_CHECK (error && error->message, "refused without a reason");
    return 0;
  }
  FUZZ_CHECK (config->port >= 1 && config->port <= 65535, "port %u", config->port);
  FUZZ_CHECK (config->ice_port_min >= 1 && config->ice_port_min <= config->ice_port_max
                  && config->ice_port_max <= 65535,
              "ICE ports %u-%u", config->ice_port_min, config->ice_port_max);
  FUZZ_CHECK (config->login_per_minute >= 1 && config->book_per_minute >= 1
                  && config->link_per_minute >= 1,
              "a rate limit of 0");
  FUZZ_CHECK (config->pool_size >= 1 && config->pool_size <= 64, "pool_size %u", config->pool_size);
  FUZZ_CHECK (*config->public_url, "no public URL");
  FUZZ_CHECK (!*config->tls_cert == !*config->tls_key, "tls_cert without tls_key");
  g_autoptr (KsConfig) copy = ks_config_copy (config);
  FUZZ_CHECK (g_str_equal (copy->public_url, config->public_url) && copy->port == config->port,
              "the copy differs");
  g_autoptr (json_t) list = ks_ice_servers (config, TRUE, 1700000000);
  FUZZ_CHECK (json_is_array (list), "ICE servers are no JSON array");
  return 0;
}
