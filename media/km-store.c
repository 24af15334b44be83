/* km-store.c — the copies a video slot keeps for retransmission, in one
 * ring of bytes per slot.
 *
 * Each copy used to be a GstBuffer of its own: about 1.5 kB of malloc per
 * packet, freed half a second later on the receive thread, so that the
 * receive threads' malloc arenas held a meeting's store more than once
 * over (docs/performance.md, "The retransmission store in one ring").
 * Here the copies sit one after another in a ring, in the order they were
 * sent, each behind a small header; the oldest are let go from the ring's
 * tail once older than the slot's age.  The ring starts small and grows
 * while what it holds is younger than that age, and shrinks when it holds
 * less than half of itself, so that it follows the slot's bit rate, up to
 * KM_STORE_MAX_BYTES.  An index by sequence number (KM_STORE_SIZE places)
 * finds a copy for a NACK.  A ring the system will not map is logged and
 * the slot keeps fewer copies or none: retransmissions are lost, the
 * meeting goes on.
 *
 * Not thread-safe: the slot's port lock covers it (km-forward.c). */
#include "media/km-private.h"
#include "media/km-fwd-private.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define KM_STORE_FIRST_BYTES (16 * 1024)
/* What 256 copies of the largest packet take: more is never reachable. */
#define KM_STORE_MAX_BYTES (512 * 1024)
#define KM_STORE_ALIGN 16
#define KM_STORE_SHRINK_US (2 * G_USEC_PER_SEC)
/* Above any packet the receive path takes (KM_SRTP_MAX_PACKET); two fit in
 * the first ring, so a copy always finds room. */
#define KM_STORE_MAX_PACKET 4096

/* In the ring before each copy.  A record of size 0 with skip set says
 * the rest of the ring up to its end is unused: a copy never wraps. */
typedef struct {
  gint64 stored; /* monotonic µs */
  guint16 seq;
  guint16 size;
  guint32 skip;
} KmRecord;

G_STATIC_ASSERT (sizeof (KmRecord) == KM_STORE_ALIGN);

typedef struct {
  guint64 pos; /* of its record, counted in bytes ever written */
  gint64 resent;
  guint16 seq;
  gboolean held;
} KmIndexEntry;

struct _KmStore {
  guint8 *ring;
  gsize cap;      /* a multiple of KM_STORE_ALIGN */
  guint64 tail;   /* the oldest record still held */
  guint64 head;   /* where the next one goes */
  gint64 resized; /* when the ring last changed size */
  KmIndexEntry index[KM_STORE_SIZE];
};

KmStore *
km_store_new (void)
{
  return g_new0 (KmStore, 1);
}

/* The ring is a mapping of its own, not malloc's: a ring that shrinks
 * gives its pages back.  From malloc it stayed at its largest, the
 * first second's (the round trip not yet known, the age at its longest),
 * in the receive thread's arena. */
static guint8 *
ring_new (gsize cap)
{
  void *ring = mmap (NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ring == MAP_FAILED) {
    GST_WARNING ("retransmission store: mmap of %zu bytes: %s", cap, g_strerror (errno));
    return NULL;
  }
  return ring;
}

static void
ring_free (guint8 *ring, gsize cap)
{
  if (ring)
    munmap (ring, cap);
}

void
km_store_free (KmStore *store)
{
  if (!store)
    return;
  ring_free (store->ring, store->cap);
  g_free (store);
}

static gsize
record_length (gsize size)
{
  return (sizeof (KmRecord) + size + KM_STORE_ALIGN - 1) & ~(gsize) (KM_STORE_ALIGN - 1);
}

static KmRecord *
record_at (const KmStore *store, guint64 pos)
{
  return (KmRecord *) (store->ring + pos % store->cap);
}

/* The record at the tail goes: a skip record takes the tail to the ring's
 * start, a copy's takes it past the copy. */
static void
drop_tail (KmStore *store)
{
  const KmRecord *r = record_at (store, store->tail);
  if (r->skip)
    store->tail += store->cap - store->tail % store->cap;
  else
    store->tail += record_length (r->size);
}

/* Lets go of the copies older than age, the oldest first. */
static void
expire (KmStore *store, gint64 now, gint64 age)
{
  while (store->tail < store->head) {
    const KmRecord *r = record_at (store, store->tail);
    if (!r->skip && now - r->stored < age)
      return;
    drop_tail (store);
  }
}

/* Bytes a copy of record length len takes at the head, with the unused
 * end of the ring when it does not fit before the end. */
static gsize
room_needed (const KmStore *store, gsize len)
{
  gsize off = store->head % store->cap;
  return off + len > store->cap ? store->cap - off + len : len;
}

/* A ring cap bytes long with the held copies in the same order from its
 * start, their index places moved with them; FALSE (nothing changed) if
 * it cannot be mapped. */
static gboolean
regrow (KmStore *store, gsize cap)
{
  guint8 *ring = ring_new (cap);
  if (!ring)
    return FALSE;
  for (guint i = 0; i < KM_STORE_SIZE; i++)
    if (store->index[i].pos < store->tail)
      store->index[i].held = FALSE;
  guint64 at = 0;
  while (store->tail < store->head) {
    const KmRecord *r = record_at (store, store->tail);
    if (!r->skip) {
      gsize len = record_length (r->size);
      KmIndexEntry *e = &store->index[r->seq % KM_STORE_SIZE];
      if (e->held && e->seq == r->seq && e->pos == store->tail)
        e->pos = at;
      memcpy (ring + at, r, sizeof (KmRecord) + r->size);
      at += len;
    }
    drop_tail (store);
  }
  ring_free (store->ring, store->cap);
  store->ring = ring;
  store->cap = cap;
  store->tail = 0;
  store->head = at;
  return TRUE;
}

/* A ring size for live bytes: a quarter more, in whole pages. */
static gsize
size_for (gsize live)
{
  gsize cap = (live + live / 4 + 4095) & ~(gsize) 4095;
  return CLAMP (cap, KM_STORE_FIRST_BYTES, KM_STORE_MAX_BYTES);
}

/* Room at the head for a record of length len: the old copies let go,
 * the ring grown while what it holds is young, the oldest dropped when it
 * cannot grow.  A ring that holds less than half of itself shrinks, at
 * most once per KM_STORE_SHRINK_US, so that a slot whose bit rate fell
 * (or whose round trip became known) gives its memory back. */
static gboolean
make_room (KmStore *store, gsize len, gint64 now, gint64 age)
{
  if (!store->ring) {
    store->ring = ring_new (KM_STORE_FIRST_BYTES);
    if (!store->ring)
      return FALSE;
    store->cap = KM_STORE_FIRST_BYTES;
    store->resized = now;
  }
  expire (store, now, age);
  gsize live = store->head - store->tail;
  if (store->cap > KM_STORE_FIRST_BYTES && (live + len) * 2 < store->cap
      && now - store->resized >= KM_STORE_SHRINK_US && regrow (store, size_for (live + len)))
    store->resized = now;
  while (store->head - store->tail + room_needed (store, len) > store->cap) {
    if (store->cap < KM_STORE_MAX_BYTES
        && regrow (store, size_for (MAX (store->head - store->tail + len, store->cap + 4096))))
      store->resized = now;
    else
      drop_tail (store); /* cannot grow: the oldest copy goes */
  }
  return TRUE;
}

void
km_store_put (KmStore *store, guint16 seq, const guint8 *packet, gsize size, gint64 now, gint64 age)
{
  if (size > KM_STORE_MAX_PACKET)
    return;
  gsize len = record_length (size);
  if (!make_room (store, len, now, age))
    return;
  gsize off = store->head % store->cap;
  if (off + len > store->cap) {
    KmRecord *pad = record_at (store, store->head);
    memset (pad, 0, sizeof *pad);
    pad->skip = 1;
    store->head += store->cap - off;
  }
  KmRecord *r = record_at (store, store->head);
  r->stored = now;
  r->seq = seq;
  r->size = (guint16) size;
  r->skip = 0;
  memcpy (r + 1, packet, size);
  KmIndexEntry *e = &store->index[seq % KM_STORE_SIZE];
  e->pos = store->head;
  e->seq = seq;
  e->resent = 0;
  e->held = TRUE;
  store->head += len;
}

/* The index place of seq when its copy is still in the ring. */
static KmIndexEntry *
lookup (KmStore *store, guint16 seq)
{
  KmIndexEntry *e = &store->index[seq % KM_STORE_SIZE];
  if (!e->held || e->seq != seq || e->pos < store->tail)
    return NULL;
  return e;
}

const guint8 *
km_store_get (KmStore *store, guint16 seq, gint64 now, gint64 age, gsize *size, gint64 *resent)
{
  KmIndexEntry *e = lookup (store, seq);
  if (!e)
    return NULL;
  const KmRecord *r = record_at (store, e->pos);
  if (now - r->stored >= age)
    return NULL;
  *size = r->size;
  *resent = e->resent;
  return (const guint8 *) (r + 1);
}

void
km_store_mark_resent (KmStore *store, guint16 seq, gint64 now)
{
  KmIndexEntry *e = lookup (store, seq);
  if (e)
    e->resent = now;
}

guint
km_store_count (KmStore *store)
{
  guint n = 0;
  for (guint i = 0; i < KM_STORE_SIZE; i++)
    n += lookup (store, store->index[i].seq) == &store->index[i];
  return n;
}

gsize
km_store_bytes (const KmStore *store)
{
  return store->cap;
}
