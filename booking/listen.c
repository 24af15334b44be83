/* listen.c — a connection of its own that LISTENs on one channel and hands
 * each notification to a callback on the main loop (migration 015: other
 * nodes' changes to a caseworker's queue).  It is not in the pool: a
 * listening session must stay open and idle, and the pool's connections
 * are busy with queries.  When the connection breaks it reconnects with
 * back-off (the conninfo may name several hosts: after a fail-over it finds
 * the new primary) and then calls the callback with a NULL payload, since
 * notifications sent meanwhile are lost. */
#include "kb-private.h"

#include <glib-unix.h>
#include <string.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

typedef enum { LISTEN_DOWN, LISTEN_CONNECTING, LISTEN_SUBSCRIBING, LISTEN_IDLE } ListenState;

struct _KbListener {
  gchar *conninfo;
  gchar *command; /* LISTEN channel */
  KbNotifyFunc func;
  gpointer user_data;
  PGconn *pg;
  ListenState state;
  guint watch;
  GIOCondition watch_cond;
  int watch_fd; /* PQsocket changes while libpq tries host after host */
  guint retry;
  guint backoff_ms;
};

static void listener_connect (KbListener *l);

static void
retry (gpointer data)
{
  listener_connect (data);
}

static void
listener_drop (KbListener *l, const gchar *why)
{
  if (l->watch)
    g_source_remove (l->watch);
  l->watch = 0;
  g_clear_pointer (&l->pg, PQfinish);
  if (l->state != LISTEN_DOWN)
    g_warning ("notification listener lost its connection (%s); reconnecting", why);
  l->state = LISTEN_DOWN;
  l->backoff_ms = CLAMP (l->backoff_ms * 2, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  l->retry = g_timeout_add_once (l->backoff_ms, retry, l);
}

static gboolean listener_io (gint fd, GIOCondition cond, gpointer data);

static void
listener_watch (KbListener *l, GIOCondition cond)
{
  int fd = PQsocket (l->pg);

  if (l->watch && l->watch_cond == cond && l->watch_fd == fd)
    return;
  if (l->watch)
    g_source_remove (l->watch);
  l->watch_cond = cond;
  l->watch_fd = fd;
  l->watch = g_unix_fd_add (fd, cond | G_IO_HUP | G_IO_ERR, listener_io, l);
}

static void
on_connecting (KbListener *l)
{
  switch (PQconnectPoll (l->pg)) {
  case PGRES_POLLING_READING:
    listener_watch (l, G_IO_IN);
    break;
  case PGRES_POLLING_WRITING:
    listener_watch (l, G_IO_OUT);
    break;
  case PGRES_POLLING_OK:
    if (PQsetnonblocking (l->pg, 1) != 0 || !PQsendQuery (l->pg, l->command)) {
      listener_drop (l, PQerrorMessage (l->pg));
      break;
    }
    l->state = LISTEN_SUBSCRIBING;
    listener_watch (l, PQflush (l->pg) == 1 ? G_IO_IN | G_IO_OUT : G_IO_IN);
    break;
  default:
    listener_drop (l, PQerrorMessage (l->pg));
    break;
  }
}

/* Reads what came; FALSE when the connection broke (and was dropped). */
static gboolean
consume (KbListener *l)
{
  if (!PQconsumeInput (l->pg) || PQstatus (l->pg) == CONNECTION_BAD) {
    listener_drop (l, PQerrorMessage (l->pg));
    return FALSE;
  }
  return TRUE;
}

static void
on_subscribing (KbListener *l, GIOCondition cond)
{
  PGresult *res;
  gboolean ok = TRUE;

  if ((cond & G_IO_OUT) && PQflush (l->pg) == 0)
    listener_watch (l, G_IO_IN);
  if (!(cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) || !consume (l))
    return;
  while (!PQisBusy (l->pg) && (res = PQgetResult (l->pg)) != NULL) {
    ok = ok && PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
  }
  if (PQisBusy (l->pg))
    return;
  if (!ok) {
    listener_drop (l, PQerrorMessage (l->pg));
    return;
  }
  l->state = LISTEN_IDLE;
  l->backoff_ms = 0;
  listener_watch (l, G_IO_IN);
  /* Whatever happened while no one listened is unknown: say so. */
  l->func (NULL, l->user_data);
}

static void
on_idle (KbListener *l)
{
  PGnotify *n;

  if (!consume (l))
    return;
  while (l->pg && (n = PQnotifies (l->pg)) != NULL) {
    l->func (n->extra, l->user_data);
    PQfreemem (n);
  }
}

static gboolean
listener_io (gint fd, GIOCondition cond, gpointer data)
{
  KbListener *l = data;

  switch (l->state) {
  case LISTEN_DOWN:
    break;
  case LISTEN_CONNECTING:
    on_connecting (l);
    break;
  case LISTEN_SUBSCRIBING:
    on_subscribing (l, cond);
    break;
  case LISTEN_IDLE:
    on_idle (l);
    break;
  }
  return G_SOURCE_CONTINUE;
}

static void
listener_connect (KbListener *l)
{
  l->retry = 0;
  l->pg = PQconnectStart (l->conninfo);
  if (l->pg == NULL || PQstatus (l->pg) == CONNECTION_BAD) {
    l->state = LISTEN_CONNECTING; /* so that the drop says why */
    listener_drop (l, l->pg ? PQerrorMessage (l->pg) : "out of memory");
    return;
  }
  l->state = LISTEN_CONNECTING;
  l->watch = 0;
  listener_watch (l, G_IO_OUT);
}

static gboolean
channel_name_ok (const gchar *channel)
{
  if (!*channel || strlen (channel) > 63)
    return FALSE;
  for (const gchar *p = channel; *p; p++)
    if (!g_ascii_islower (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

KbListener *
kb_listener_new (const gchar *conninfo, const gchar *channel, KbNotifyFunc func, gpointer user_data)
{
  KbListener *l;

  /* The channel goes into the command text (LISTEN takes no parameter):
   * only a plain name is accepted. */
  g_return_val_if_fail (channel_name_ok (channel), NULL);
  l = g_new0 (KbListener, 1);
  l->conninfo = g_strdup (conninfo);
  l->command = g_strdup_printf ("LISTEN %s", channel);
  l->func = func;
  l->user_data = user_data;
  listener_connect (l);
  return l;
}

void
kb_listener_free (KbListener *l)
{
  if (l == NULL)
    return;
  if (l->watch)
    g_source_remove (l->watch);
  if (l->retry)
    g_source_remove (l->retry);
  g_clear_pointer (&l->pg, PQfinish);
  g_free (l->conninfo);
  g_free (l->command);
  g_free (l);
}
