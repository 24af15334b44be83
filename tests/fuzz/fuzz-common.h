/* fuzz-common.h — what every libFuzzer target of tests/fuzz shares: reading
 * the fuzzer's bytes as a little script, and GLib's log set up so that a
 * critical (a g_return_if_fail reached by input from outside) is a crash
 * and the rest is quiet (FUZZ_VERBOSE=1 shows it). */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The input, read front to back; past its end every read gives zeros, so
 * a target never has to check before reading. */
typedef struct {
  const guint8 *data;
  gsize size;
} FuzzInput;

static inline gboolean
fuzz_more (const FuzzInput *in)
{
  return in->size > 0;
}

static inline guint8
fuzz_u8 (FuzzInput *in)
{
  if (!in->size)
    return 0;
  in->size--;
  return *in->data++;
}

static inline guint16
fuzz_u16 (FuzzInput *in)
{
  guint16 hi = fuzz_u8 (in);
  return (guint16) (hi << 8 | fuzz_u8 (in));
}

static inline guint32
fuzz_u32 (FuzzInput *in)
{
  guint32 hi = fuzz_u16 (in);
  return hi << 16 | fuzz_u16 (in);
}

/* Up to max bytes (fewer at the end of the input); *n gets how many. */
static inline const guint8 *
fuzz_bytes (FuzzInput *in, gsize max, gsize *n)
{
  const guint8 *p = in->data;
  *n = MIN (max, in->size);
  in->data += *n;
  in->size -= *n;
  return p;
}

/* A property of kontor's the target checks was broken: a finding, like a
 * sanitizer's report. */
#define FUZZ_CHECK(cond, ...)                             \
  do {                                                    \
    if (!(cond)) {                                        \
      fprintf (stderr, "FUZZ_CHECK failed: %s: ", #cond); \
      fprintf (stderr, __VA_ARGS__);                      \
      fputc ('\n', stderr);                               \
      abort ();                                           \
    }                                                     \
  } while (0)

static void
fuzz_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
  gboolean fatal = level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
  if (fatal || g_getenv ("FUZZ_VERBOSE"))
    fprintf (stderr, "%s: %s\n", domain ? domain : "?", message);
  if (fatal)
    abort (); /* libFuzzer keeps the input of an abort, not of a trap */
}

/* Criticals abort; everything else is dropped unless FUZZ_VERBOSE is
 * set. */
static inline void
fuzz_quiet_logs (void)
{
  g_log_set_default_handler (fuzz_log, NULL);
}
