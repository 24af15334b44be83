/* test-media-init.c — km_init() refuses a configuration the relay could
 * not run with, naming the mistake, before any meeting exists. */
#include "media/media.h"

#include <gst/gst.h>
#include <string.h>

static void
assert_refused (const KmConfig *config, const gchar *fragment)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (km_init (config, &error));
  g_assert_error (error, KM_ERROR, error->code);
  if (!strstr (error->message, fragment))
    g_error ("\"%s\" does not name \"%s\"", error->message, fragment);
}

static void
test_ports_and_codec (void)
{
  assert_refused (&(KmConfig){ .ice_min_port = 5000, .ice_max_port = 4000 }, "5000-4000");
  assert_refused (&(KmConfig){ .video_codec = "theora" }, "\"theora\"");
}

static void
test_ice_addresses (void)
{
  assert_refused (&(KmConfig){ .ice_addresses = "10.0.0.300" },
                  "\"10.0.0.300\" is not an IP address");
  /* 192.0.2.0/24 is reserved for documentation: no machine has it. */
  assert_refused (&(KmConfig){ .ice_addresses = "127.0.0.1, 192.0.2.7" },
                  "192.0.2.7 is not an address of this machine");

  g_autoptr (GError) error = NULL;
  g_assert_true (km_init (&(KmConfig){ .ice_addresses = " 127.0.0.1 ,, " }, &error));
  g_assert_no_error (error);
  g_assert_true (km_init (&(KmConfig){ .ice_addresses = "" }, &error));
  g_assert_no_error (error);
  km_shutdown ();
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media-init/ports-and-codec", test_ports_and_codec);
  g_test_add_func ("/media-init/ice-addresses", test_ice_addresses);
  return g_test_run ();
}
