/* fuzz-guard.h — a GstBuffer whose bytes end exactly where a page no one
 * may read begins, for the media targets.
 *
 * AddressSanitizer sees only what instrumented code reads; GStreamer's
 * own helpers (gst_rtcp_packet_*) are not instrumented, so a read they
 * make past a packet went unnoticed.  With the bytes at the end of a
 * readable page and PROT_NONE after it, any such read faults, and
 * libFuzzer keeps the input. */
#pragma once

#include <gst/gst.h>
#include <sys/mman.h>
#include <unistd.h>

/* A buffer of data[0..n) (n up to a page; longer ones are plain copies),
 * valid until the next call: the caller unrefs it before asking again. */
static inline GstBuffer *
fuzz_guarded_buffer (const guint8 *data, gsize n)
{
  static guint8 *pages;
  static gsize page;
  if (!pages) {
    page = (gsize) sysconf (_SC_PAGESIZE);
    pages = mmap (NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert (pages != MAP_FAILED);
    g_assert (mprotect (pages + page, page, PROT_NONE) == 0);
  }
  if (n == 0)
    return gst_buffer_new ();
  if (n > page)
    return gst_buffer_new_memdup (data, n);
  guint8 *at = pages + page - n;
  memcpy (at, data, n);
  return gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, at, n, 0, n, NULL, NULL);
}
