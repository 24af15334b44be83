/* test-log.c — the JSON log line (signaling/log.c): every line parses as
 * JSON whatever a message holds, and carries time, level, domain, message
 * and the fields of the call; the writer sends every level to stderr. */

#include "signaling/signaling.h"

#include <jansson.h>
#include <string.h>

/* 2023-11-14T22:13:20.123456Z */
#define SOME_TIME G_GINT64_CONSTANT (1700000000123456)

static json_t *
parse (const gchar *line)
{
  g_assert_true (g_str_has_suffix (line, "\n"));
  g_assert_true (strchr (line, '\n') == line + strlen (line) - 1); /* one line */
  json_error_t err;
  json_t *root = json_loads (line, JSON_ALLOW_NUL, &err); /* \u0000 is JSON */
  if (!root)
    g_error ("not JSON (%s): %s", err.text, line);
  return root;
}

static const gchar *
text_of (json_t *root, const gchar *key)
{
  json_t *v = json_object_get (root, key);
  g_assert_true (json_is_string (v));
  return json_string_value (v);
}

static void
test_fields (void)
{
  GLogField fields[] = {
    { "PRIORITY", "6", -1 },
    { "GLIB_DOMAIN", "kontor-signaling", -1 },
    { "REQUEST_ID", "00ff00ff00ff00ff", -1 },
    { "MEETING_ID", "42", -1 },
    { "MESSAGE", "POST /api/v1/booking 200", -1 },
  };
  g_autofree gchar *line =
      ks_log_json_line (G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS (fields), SOME_TIME);
  json_t *root = parse (line);
  g_assert_cmpstr (text_of (root, "time"), ==, "2023-11-14T22:13:20.123Z");
  g_assert_cmpstr (text_of (root, "level"), ==, "info");
  g_assert_cmpstr (text_of (root, "domain"), ==, "kontor-signaling");
  g_assert_cmpstr (text_of (root, "message"), ==, "POST /api/v1/booking 200");
  g_assert_cmpstr (text_of (root, "REQUEST_ID"), ==, "00ff00ff00ff00ff");
  g_assert_cmpstr (text_of (root, "MEETING_ID"), ==, "42");
  /* What the line says under its own names is not said twice. */
  g_assert_null (json_object_get (root, "MESSAGE"));
  g_assert_null (json_object_get (root, "PRIORITY"));
  g_assert_null (json_object_get (root, "GLIB_DOMAIN"));
  json_decref (root);
}

static void
test_levels (void)
{
  const struct {
    GLogLevelFlags level;
    const gchar *name;
  } levels[] = {
    { G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL, "error" },
    { G_LOG_LEVEL_CRITICAL, "critical" },
    { G_LOG_LEVEL_WARNING, "warning" },
    { G_LOG_LEVEL_MESSAGE, "message" },
    { G_LOG_LEVEL_INFO, "info" },
    { G_LOG_LEVEL_DEBUG, "debug" },
  };
  GLogField fields[] = { { "MESSAGE", "x", -1 } };
  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++) {
    g_autofree gchar *line = ks_log_json_line (levels[i].level, fields, 1, SOME_TIME);
    json_t *root = parse (line);
    g_assert_cmpstr (text_of (root, "level"), ==, levels[i].name);
    /* Without a domain there is no domain key, and still a message. */
    g_assert_null (json_object_get (root, "domain"));
    json_decref (root);
  }
}

/* Quotes, backslashes, newlines, control characters, bytes that are not
 * UTF-8 and a NUL inside a field given with its length: the line is one
 * line of valid JSON, and what was valid text comes back unchanged. */
static void
test_escaping (void)
{
  static const gchar message[] = "say \"hi\"\\ \n second line\r\t\x01\x1f\x7f æøå — 🙂 "
                                 "bad:\xff\xfe cut:\xc3";
  static const gchar binary[] = { 'a', '\0', 'b' };
  GLogField fields[] = {
    { "GLIB_DOMAIN", "kontor-\"x\"", -1 },
    { "MESSAGE", message, -1 },
    { "BINARY", binary, sizeof binary },
    { "KEY\"ODD", "v", -1 },
  };
  g_autofree gchar *line =
      ks_log_json_line (G_LOG_LEVEL_WARNING, fields, G_N_ELEMENTS (fields), SOME_TIME);
  g_assert_true (g_utf8_validate (line, -1, NULL));
  for (const gchar *p = line; *p; p++)
    g_assert_true ((guchar) *p >= 0x20 || *p == '\n');
  json_t *root = parse (line);
  g_assert_cmpstr (text_of (root, "domain"), ==, "kontor-\"x\"");
  g_assert_cmpstr (text_of (root, "message"), ==,
                   "say \"hi\"\\ \n second line\r\t\x01\x1f\x7f æøå — 🙂 "
                   "bad:\xef\xbf\xbd\xef\xbf\xbd cut:\xef\xbf\xbd");
  json_t *b = json_object_get (root, "BINARY");
  g_assert_cmpuint (json_string_length (b), ==, 3);
  g_assert_cmpmem (json_string_value (b), 3, binary, 3);
  g_assert_cmpstr (text_of (root, "KEY\"ODD"), ==, "v");
  json_decref (root);
}

/* The installed writer, in a child whose stderr the test reads. */
static void
test_writer_json (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;
    g_assert_true (ks_log_setup ("json", &error));
    g_message ("hello \"%s\"", "there");
    g_log_structured ("kontor-test", G_LOG_LEVEL_WARNING, "REQUEST_ID", "abc", "MESSAGE",
                      "with an id");
    g_debug ("not without G_MESSAGES_DEBUG");
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("{\"time\":\"*Z\",\"level\":\"message\","
                             "\"message\":\"hello \\\"there\\\"\"}\n"
                             "{\"time\":\"*\",\"level\":\"warning\",\"domain\":\"kontor-test\","
                             "\"message\":\"with an id\",\"REQUEST_ID\":\"abc\"*}\n");
  g_test_trap_assert_stderr_unmatched ("*not without*");
}

static void
test_writer_text (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;
    g_assert_true (ks_log_setup ("text", &error));
    g_log_structured ("kontor-test", G_LOG_LEVEL_MESSAGE, "MEETING_ID", "42", "MESSAGE",
                      "about a meeting");
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*kontor-test-Message: *about a meeting MEETING_ID=42\n");
}

static void
test_unknown_format (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (ks_log_setup ("xml", &error));
  g_assert_error (error, KS_ERROR, KS_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "auto, json or text"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/log/json/fields", test_fields);
  g_test_add_func ("/log/json/levels", test_levels);
  g_test_add_func ("/log/json/escaping", test_escaping);
  g_test_add_func ("/log/writer/json", test_writer_json);
  g_test_add_func ("/log/writer/text", test_writer_text);
  g_test_add_func ("/log/format/unknown", test_unknown_format);
  return g_test_run ();
}
