/* pool.c — a small pool of asynchronous libpq connections on the GLib main
 * loop.  Each connection runs one named prepared statement at a time;
 * queries wait in one FIFO queue for the next free connection.  Sockets are
 * watched with g_unix_fd_add: nothing here blocks the loop except
 * kb_store_new() at start-up.  A connection that breaks (database restart,
 * network) fails its query in flight and reconnects with back-off, preparing
 * every statement again before it takes new work.
 *
 * Bounds (issue 12): the queue holds at most max_waiting queries (then
 * KB_ERROR_BUSY at once); every connection carries a statement_timeout;
 * a query waits at most timeout_ms for a connection and again for its
 * answer; opening a connection is given CONNECT_TIMEOUT_MS.  When a
 * connection attempt fails and no connection is open, the database counts
 * as down: every query is answered KB_ERROR_UNAVAILABLE at once until a
 * connection is back, so callers learn it in milliseconds, not after a
 * timeout. */
#include "kb-private.h"

#include <glib-unix.h>
#include <string.h>

#define CLIENT_MARGIN_MS 2000   /* our timer = statement_timeout + this */
#define CONNECT_TIMEOUT_MS 5000 /* PQconnectPoll has no timeout of its own */
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

typedef enum {
  CONN_DOWN,       /* waiting for the reconnect timer */
  CONN_CONNECTING, /* PQconnectPoll in progress */
  CONN_PREPARING,  /* PQsendPrepare of statement prepare_next in flight */
  CONN_IDLE,
  CONN_BUSY, /* query in flight */
} ConnState;

typedef struct _Query Query;

typedef struct {
  KbStore *store;
  guint index;
  PGconn *pg;
  ConnState state;
  GSource *watch;
  GIOCondition watch_cond;
  GSource *reconnect;
  GSource *opening;  /* CONNECT_TIMEOUT_MS from PQconnectStart to ready */
  PGresult *pending; /* first result of the statement in flight */
  guint backoff_ms;
  guint prepare_next; /* index into store->statements pairs */
  Query *query;
} Conn;

struct _Query {
  KbStore *store;
  gchar *statement;
  GStrv params; /* may hold NULLs: n_params says how many */
  guint n_params;
  GTask *task;
  GSource *timeout;
  Conn *conn; /* while in flight */
  PGresult *result;
  gint64 sent_us; /* monotonic, when PQsendQueryPrepared took it */
};

struct _KbStore {
  gchar *conninfo;
  GStrv conn_keys;   /* the conninfo's parameters, statement_timeout */
  GStrv conn_values; /* added to its options (PQconnectStartParams) */
  GMainContext *context;
  GPtrArray *conns; /* Conn* */
  GQueue waiting;   /* Query* not yet sent */
  GStrv statements; /* name, sql, name, sql, … */
  guint max_waiting;
  guint timeout_ms;   /* per wait: for a connection, for the answer */
  gboolean available; /* FALSE: an attempt failed and none is open */
  /* A multi-host conninfo (primary and standbys, docs/operations.md):
   * the host, hostaddr and port lists split at commas (NULL: not given)
   * and where they sit in conn_values.  Each attempt starts with host
   * first_host; see store_skip_host. */
  GStrv host_lists[3];
  guint host_list_key[3];
  guint n_hosts;
  guint first_host;
  guint64 refused_busy, refused_unavailable, reconnects;
  guint8 seal_key[KB_SEAL_KEY_LEN]; /* [notify] key_file (seal.c) */
  gboolean has_seal_key;
  KbQueryTiming *timings;   /* one per statement, in statements' order */
  GHashTable *timing_index; /* statement name → its KbQueryTiming (borrowed) */
  guint n_timings;
};

/* Upper bounds of the query histograms, seconds: a prepared statement on a
 * healthy database answers in a millisecond or two; statement_timeout is
 * 5 s by default. */
const gdouble kb_query_bucket_bounds[KB_QUERY_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005,
                                                           0.01,   0.025, 0.05,   0.1,
                                                           0.25,   0.5,   1,      5 };

static void conn_broken (Conn *conn, const gchar *why);

/* Sources live in the store's context, so they are kept as pointers and
 * destroyed there (g_source_remove() would look in the global default). */
static GSource *
attach (GSource *source, GSourceFunc func, gpointer data, GMainContext *context)
{
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}
static void conn_watch (Conn *conn, GIOCondition cond);
static void pool_dispatch (KbStore *store);

/* ---- errors ------------------------------------------------------------ */

void
kb_result_to_error (const PGresult *res, GError **error)
{
  const gchar *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const gchar *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const gchar *detail = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL) : NULL;
  KbErrorCode code = KB_ERROR_DATABASE;

  if (state
      && (g_str_has_prefix (state, "08")    /* connection exception */
          || strcmp (state, "57P01") == 0   /* admin_shutdown */
          || strcmp (state, "57P02") == 0   /* crash_shutdown */
          || strcmp (state, "57P03") == 0)) /* cannot_connect_now */
  {
    g_set_error (error, KB_ERROR, KB_ERROR_UNAVAILABLE, "%s",
                 primary ? primary : PQresultErrorMessage (res));
    return;
  }
  if (state
      && (strcmp (state, "57014") == 0        /* statement_timeout */
          || strcmp (state, "55P03") == 0     /* lock_not_available */
          || g_str_has_prefix (state, "53"))) /* insufficient resources */
  {
    g_set_error (error, KB_ERROR, KB_ERROR_BUSY, "%s",
                 primary ? primary : PQresultErrorMessage (res));
    return;
  }
  if (state && (strcmp (state, "23P01") == 0 || strcmp (state, "40P01") == 0))
    code = KB_ERROR_SLOT_TAKEN; /* exclusion_violation; or two
                                 * inserts racing on one (deadlock) */
  else if (state && strcmp (state, "42501") == 0)
    code = KB_ERROR_FORBIDDEN; /* insufficient_privilege */
  else if (state && strcmp (state, "23514") == 0 && g_strcmp0 (detail, "not_found") == 0)
    code = KB_ERROR_NOT_FOUND;
  else if (state && strcmp (state, "23514") == 0 && g_strcmp0 (detail, "state") == 0)
    code = KB_ERROR_STATE;
  else if (state
           && (g_str_has_prefix (state, "23")    /* integrity */
               || g_str_has_prefix (state, "22") /* data exception */
               || strcmp (state, "P0001") == 0)) /* RAISE in a rule */
    code = KB_ERROR_INVALID;
  if (!primary)
    primary = res ? PQresultErrorMessage (res) : "no result";
  /* Our rules put a machine reason in DETAIL (sql/002_rules.sql); it leads
   * the message so kb_error_reason() can find it.  Plain constraint
   * failures get a generic reason by SQLSTATE. */
  if (code != KB_ERROR_DATABASE && detail && g_regex_match_simple ("^[a-z_]+$", detail, 0, 0))
    g_set_error (error, KB_ERROR, code, "%s: %s", detail, primary);
  else if (code == KB_ERROR_SLOT_TAKEN)
    g_set_error (error, KB_ERROR, code, "slot_taken: %s", primary);
  else if (code == KB_ERROR_INVALID)
    g_set_error (error, KB_ERROR, code, "%s: %s",
                 strcmp (state, "23505") == 0     ? "duplicate"
                 : strcmp (state, "23503") == 0   ? "not_found"
                 : strcmp (state, "23502") == 0   ? "missing"
                 : g_str_has_prefix (state, "22") ? "bad_value"
                                                  : "invalid",
                 primary);
  else
    g_set_error (error, KB_ERROR, code, "%s", primary);
}

gchar *
kb_error_reason (const GError *error)
{
  const gchar *colon;

  if (error == NULL || error->domain != KB_ERROR)
    return NULL;
  colon = strstr (error->message, ": ");
  if (colon == NULL)
    return NULL;
  for (const gchar *p = error->message; p < colon; p++)
    if (!(g_ascii_islower (*p) || *p == '_'))
      return NULL;
  return g_strndup (error->message, colon - error->message);
}

/* ---- queries ------------------------------------------------------------ */

static void
query_free (Query *q)
{
  clear_source (&q->timeout);
  if (q->result)
    PQclear (q->result);
  g_free (q->statement);
  for (guint i = 0; i < q->n_params; i++)
    g_free (q->params[i]);
  g_free (q->params);
  g_clear_object (&q->task);
  g_free (q);
}

/* Counts a failure for /metrics (q->store is NULL once the store is freed). */
static void
query_count (Query *q, const GError *error)
{
  if (q->store && g_error_matches (error, KB_ERROR, KB_ERROR_BUSY))
    q->store->refused_busy++;
  else if (q->store && g_error_matches (error, KB_ERROR, KB_ERROR_UNAVAILABLE))
    q->store->refused_unavailable++;
}

/* Hands the outcome to the caller and frees the query. */
static void
query_finish (Query *q, GError *error)
{
  GTask *task = g_object_ref (q->task);

  if (error) {
    query_count (q, error);
    g_task_return_error (task, error);
  } else if (PQresultStatus (q->result) == PGRES_TUPLES_OK
             || PQresultStatus (q->result) == PGRES_COMMAND_OK)
    g_task_return_pointer (task, g_steal_pointer (&q->result), (GDestroyNotify) PQclear);
  else {
    GError *err = NULL;

    kb_result_to_error (q->result, &err);
    g_debug ("%s failed: %s", q->statement, err->message);
    query_count (q, err);
    g_task_return_error (task, err);
  }
  query_free (q);
  g_object_unref (task);
}

static gboolean query_timed_out (gpointer data);

/* (Re)starts the query's timer: once when it is queued, again when sent. */
static void
query_arm (Query *q)
{
  clear_source (&q->timeout);
  q->timeout =
      attach (g_timeout_source_new (q->store->timeout_ms), query_timed_out, q, q->store->context);
}

static gboolean
query_timed_out (gpointer data)
{
  Query *q = data;
  KbStore *store = q->store;

  if (q->conn) {
    /* Dropping the connection is the one way to stop a query without a
     * blocking PQcancel; the server notices the closed socket.  Whether
     * it ran is unknown. */
    Conn *conn = q->conn;

    g_warning ("query %s timed out; resetting connection %u", q->statement, conn->index);
    conn->query = NULL;
    q->conn = NULL;
    conn_broken (conn, "query timed out");
    query_finish (q, g_error_new (KB_ERROR, KB_ERROR_UNAVAILABLE,
                                  "the database did not answer %s in time", q->statement));
  } else {
    /* Never sent: nothing changed. */
    g_queue_remove (&store->waiting, q);
    query_finish (q, g_error_new (KB_ERROR, KB_ERROR_BUSY,
                                  "%s waited too long for a database connection", q->statement));
  }
  return G_SOURCE_REMOVE;
}

/* A query the pool will not take: answered (after the caller returns, as
 * GTask does for a task returned in the iteration that made it). */
static void
query_refuse (KbStore *store, KbErrorCode code, const gchar *statement, GCancellable *cancellable,
              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, kb_store_query_async);
  if (code == KB_ERROR_BUSY) {
    store->refused_busy++;
    g_task_return_new_error (task, KB_ERROR, code,
                             "%s refused: %u queries already wait "
                             "for the database",
                             statement, store->max_waiting);
  } else {
    store->refused_unavailable++;
    g_task_return_new_error (task, KB_ERROR, code,
                             "%s refused: the database is "
                             "not reachable",
                             statement);
  }
}

static void
query_enqueue (KbStore *store, const gchar *statement, guint n_params, const gchar *const *params,
               gboolean follow_up, GCancellable *cancellable, GAsyncReadyCallback callback,
               gpointer user_data)
{
  Query *q;

  if (!store->available) {
    query_refuse (store, KB_ERROR_UNAVAILABLE, statement, cancellable, callback, user_data);
    return;
  }
  if (!follow_up && g_queue_get_length (&store->waiting) >= store->max_waiting) {
    query_refuse (store, KB_ERROR_BUSY, statement, cancellable, callback, user_data);
    return;
  }
  q = g_new0 (Query, 1);
  q->store = store;
  q->statement = g_strdup (statement);
  q->n_params = n_params;
  q->params = g_new0 (gchar *, n_params + 1);
  for (guint i = 0; i < n_params; i++)
    q->params[i] = g_strdup (params[i]);
  q->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (q->task, kb_store_query_async);
  g_task_set_name (q->task, statement);
  query_arm (q);

  if (follow_up)
    g_queue_push_head (&store->waiting, q);
  else
    g_queue_push_tail (&store->waiting, q);
  pool_dispatch (store);
}

void
kb_store_query_async (KbStore *store, const gchar *statement, guint n_params,
                      const gchar *const *params, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  query_enqueue (store, statement, n_params, params, FALSE, cancellable, callback, user_data);
}

void
kb_store_follow_up_async (KbStore *store, const gchar *statement, guint n_params,
                          const gchar *const *params, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  query_enqueue (store, statement, n_params, params, TRUE, cancellable, callback, user_data);
}

PGresult *
kb_store_query_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kb_query_return_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  PQclear (res);
  g_task_return_boolean (task, TRUE);
}

/* Every operation's callbacks start this way; one place keeps "the error
 * goes to the caller's task" the same everywhere. */
PGresult *
kb_query_finish_or_return (GTask *task, GAsyncResult *result)
{
  GError *error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error);

  if (res == NULL)
    g_task_return_error (task, error);
  return res;
}

/* ---- connections -------------------------------------------------------- */

static gboolean conn_io (gint fd, GIOCondition cond, gpointer data);

static void
conn_unwatch (Conn *conn)
{
  clear_source (&conn->watch);
  conn->watch_cond = 0;
}

static void
conn_watch (Conn *conn, GIOCondition cond)
{
  int fd = PQsocket (conn->pg);

  if (conn->watch && conn->watch_cond == cond)
    return;
  conn_unwatch (conn);
  if (fd < 0)
    return;
  conn->watch = attach (g_unix_fd_source_new (fd, cond | G_IO_ERR | G_IO_HUP),
                        G_SOURCE_FUNC (conn_io), conn, conn->store->context);
  conn->watch_cond = cond;
}

/* Sends the next statement to prepare, or becomes idle when all are. */
static void
conn_prepare_next (Conn *conn)
{
  GStrv st = conn->store->statements;

  if (st[conn->prepare_next] == NULL) {
    KbStore *store = conn->store;

    clear_source (&conn->opening);
    conn->state = CONN_IDLE;
    conn->backoff_ms = BACKOFF_MIN_MS;
    conn_watch (conn, G_IO_IN);
    store->reconnects++;
    if (!store->available)
      g_message ("the database is reachable again (connection %u)", conn->index);
    else
      g_info ("connection %u ready", conn->index);
    store->available = TRUE;
    pool_dispatch (store);
    return;
  }
  conn->state = CONN_PREPARING;
  if (!PQsendPrepare (conn->pg, st[conn->prepare_next], st[conn->prepare_next + 1], 0, NULL)) {
    conn_broken (conn, PQerrorMessage (conn->pg));
    return;
  }
  conn_watch (conn, PQflush (conn->pg) == 1 ? G_IO_IN | G_IO_OUT : G_IO_IN);
}

/* The conninfo values for the next attempt: with several hosts, each
 * list rotated to start at store->first_host (a single port, which
 * applies to every host, stays as it is). */
static GStrv
store_attempt_values (KbStore *store)
{
  GStrv values = g_strdupv (store->conn_values);

  if (store->first_host == 0)
    return values;
  for (guint k = 0; k < G_N_ELEMENTS (store->host_lists); k++) {
    GStrv list = store->host_lists[k];
    g_autoptr (GPtrArray) rotated = NULL;

    if (list == NULL || g_strv_length (list) != store->n_hosts)
      continue;
    rotated = g_ptr_array_new ();
    for (guint i = 0; i < store->n_hosts; i++)
      g_ptr_array_add (rotated, list[(store->first_host + i) % store->n_hosts]);
    g_ptr_array_add (rotated, NULL);
    g_free (values[store->host_list_key[k]]);
    values[store->host_list_key[k]] = g_strjoinv (",", (GStrv) rotated->pdata);
  }
  return values;
}

/* An attempt got no answer in CONNECT_TIMEOUT_MS.  libpq tries the hosts
 * of a multi-host conninfo in order and moves on from one that refuses,
 * or is read-only under target_session_attrs=read-write; but
 * PQconnectPoll applies no connect_timeout (libpq leaves that to the
 * caller), so a host that takes the connection and never answers — a
 * hung primary, packets dropped on the way — would hold every attempt,
 * and the standby promoted in its place, later in the list, would never
 * be tried (tests/faults/test_promotion.py, freeze).  So the next
 * attempts start with the host after the one that hung. */
static void
store_skip_host (KbStore *store, PGconn *pg)
{
  const gchar *host = PQhost (pg), *port = PQport (pg);
  GStrv hosts = store->host_lists[0], addrs = store->host_lists[1], ports = store->host_lists[2];
  guint n = store->n_hosts, next = (store->first_host + 1) % MAX (n, 1);

  if (n < 2)
    return;
  for (guint i = 0; i < n; i++) {
    guint at = (store->first_host + i) % n;
    gboolean same_host =
        (hosts && g_strv_length (hosts) == n && g_strcmp0 (hosts[at], host) == 0)
        || (addrs && g_strv_length (addrs) == n && g_strcmp0 (addrs[at], host) == 0);
    gboolean same_port =
        ports == NULL || g_strv_length (ports) != n || g_strcmp0 (ports[at], port) == 0;

    if (same_host && same_port) {
      next = (at + 1) % n;
      break;
    }
  }
  g_warning ("database host %s port %s did not answer in %u ms; trying the next host first",
             host ? host : "?", port ? port : "?", CONNECT_TIMEOUT_MS);
  store->first_host = next;
}

static gboolean
opening_timed_out (gpointer data)
{
  Conn *conn = data;

  g_clear_pointer (&conn->opening, g_source_unref);
  store_skip_host (conn->store, conn->pg);
  conn_broken (conn, "no answer while connecting");
  return G_SOURCE_REMOVE;
}

static gboolean
reconnect (gpointer data)
{
  Conn *conn = data;
  KbStore *store = conn->store;
  g_auto (GStrv) values = store_attempt_values (store);

  g_clear_pointer (&conn->reconnect, g_source_unref);
  conn->state = CONN_CONNECTING;
  conn->pg = PQconnectStartParams ((const char *const *) store->conn_keys,
                                   (const char *const *) values, 0);
  if (conn->pg == NULL || PQstatus (conn->pg) == CONNECTION_BAD) {
    conn_broken (conn, conn->pg ? PQerrorMessage (conn->pg) : "out of memory");
    return G_SOURCE_REMOVE;
  }
  conn->opening =
      attach (g_timeout_source_new (CONNECT_TIMEOUT_MS), opening_timed_out, conn, store->context);
  /* libpq: behave as if PQconnectPoll had asked for writing. */
  conn_watch (conn, G_IO_OUT);
  return G_SOURCE_REMOVE;
}

/* A connection attempt failed.  With no other connection open the
 * database counts as down: the queries waiting are answered now, and new
 * ones at once, until a connection is back (conn_prepare_next). */
static void
store_attempt_failed (KbStore *store, const gchar *why)
{
  GQueue orphans = G_QUEUE_INIT;
  Query *q;

  for (guint i = 0; i < store->conns->len; i++) {
    Conn *c = g_ptr_array_index (store->conns, i);

    if (c->state == CONN_IDLE || c->state == CONN_BUSY || c->state == CONN_PREPARING)
      return;
  }
  if (store->available)
    g_warning ("the database is not reachable (%s); answering db_unavailable "
               "until a connection succeeds",
               why);
  store->available = FALSE;
  /* Taken out first: a callback may queue again (and is refused at once). */
  while ((q = g_queue_pop_head (&store->waiting)) != NULL)
    g_queue_push_tail (&orphans, q);
  while ((q = g_queue_pop_head (&orphans)) != NULL) {
    query_finish (q, g_error_new (KB_ERROR, KB_ERROR_UNAVAILABLE,
                                  "%s not sent: the database is not reachable", q->statement));
  }
}

static void
conn_broken (Conn *conn, const gchar *reason)
{
  KbStore *store = conn->store;
  /* reason is often PQerrorMessage (conn->pg), freed by PQfinish below. */
  g_autofree gchar *why = g_strchomp (g_strdup (reason));
  /* Lost while opening: the database may be down.  Lost while open: a
   * restart or a dropped link; the reconnect will tell. */
  gboolean was_opening = conn->state == CONN_CONNECTING || conn->state == CONN_PREPARING;
  guint delay;

  if (conn->state == CONN_IDLE || conn->state == CONN_BUSY)
    g_warning ("database connection %u lost: %s", conn->index, why);
  else
    g_debug ("database connection %u could not open: %s", conn->index, why);
  conn_unwatch (conn);
  clear_source (&conn->opening);
  if (conn->pg)
    PQfinish (conn->pg);
  conn->pg = NULL;
  conn->state = CONN_DOWN;
  g_clear_pointer (&conn->pending, PQclear);
  if (conn->query) {
    Query *q = conn->query;

    conn->query = NULL;
    q->conn = NULL;
    /* Whether the statement ran is unknown: say so, never retry it. */
    query_finish (q, g_error_new (KB_ERROR, KB_ERROR_UNAVAILABLE,
                                  "database connection lost while running %s "
                                  "(it may or may not have been applied): %s",
                                  q->statement, why));
  }
  if (conn->reconnect == NULL) {
    /* Jitter, so the connections (and other nodes) do not all knock at
     * once when the database comes back. */
    delay = conn->backoff_ms / 2 + (guint) g_random_int_range (0, (gint) conn->backoff_ms / 2 + 1);
    conn->reconnect = attach (g_timeout_source_new (delay), reconnect, conn, store->context);
    conn->backoff_ms = MIN (conn->backoff_ms * 2, BACKOFF_MAX_MS);
  }
  if (was_opening)
    store_attempt_failed (store, why);
}

/* Reads what has arrived; TRUE when the statement in flight is complete
 * (its first result kept in *result), FALSE if more must be awaited.  On a
 * broken connection returns TRUE with *broken set. */
static gboolean
conn_collect (Conn *conn, PGresult **result, gboolean *broken)
{
  *broken = FALSE;
  if (!PQconsumeInput (conn->pg)) {
    *broken = TRUE;
    return TRUE;
  }
  for (;;) {
    PGresult *res;

    if (PQisBusy (conn->pg))
      return FALSE;
    res = PQgetResult (conn->pg);
    if (res == NULL)
      return TRUE;
    /* An error after the first result (the implicit COMMIT failing)
     * must win: the statement's success was not committed. */
    if (*result == NULL)
      *result = res;
    else if (PQresultStatus (res) == PGRES_FATAL_ERROR
             && PQresultStatus (*result) != PGRES_FATAL_ERROR) {
      PQclear (*result);
      *result = res;
    } else
      PQclear (res);
  }
}

/* CONN_CONNECTING: libpq's connection state machine wants the socket. */
static void
on_connecting (Conn *conn)
{
  switch (PQconnectPoll (conn->pg)) {
  case PGRES_POLLING_READING:
    conn_watch (conn, G_IO_IN);
    break;
  case PGRES_POLLING_WRITING:
    conn_watch (conn, G_IO_OUT);
    break;
  case PGRES_POLLING_OK:
    if (PQsetnonblocking (conn->pg, 1) != 0) {
      conn_broken (conn, PQerrorMessage (conn->pg));
      break;
    }
    conn->prepare_next = 0;
    conn_prepare_next (conn);
    break;
  default:
    conn_broken (conn, PQerrorMessage (conn->pg));
    break;
  }
}

/* CONN_PREPARING: one statement prepared (res); on to the next. */
static void
on_prepared (Conn *conn, PGresult *res)
{
  if (PQresultStatus (res) != PGRES_COMMAND_OK) {
    /* A statement that does not prepare is a schema mismatch: log
     * loudly, keep retrying slowly. */
    g_critical ("preparing %s failed: %s", conn->store->statements[conn->prepare_next],
                res ? PQresultErrorMessage (res) : "no result");
    g_clear_pointer (&res, PQclear);
    conn->backoff_ms = BACKOFF_MAX_MS;
    conn_broken (conn, "prepare failed");
    return;
  }
  PQclear (res);
  conn->prepare_next += 2;
  conn_prepare_next (conn);
}

/* Counts q's time from sending to its answer, for /metrics. */
static void
query_timed (KbStore *store, Query *q)
{
  KbQueryTiming *t = g_hash_table_lookup (store->timing_index, q->statement);
  gdouble s = (g_get_monotonic_time () - q->sent_us) / (gdouble) G_USEC_PER_SEC;
  guint b = 0;

  if (t == NULL) /* a name that was never prepared: the database said so */
    return;
  while (b < KB_QUERY_BUCKETS && s > kb_query_bucket_bounds[b])
    b++;
  t->counts[b]++;
  t->count++;
  t->sum_s += s;
}

/* CONN_BUSY: the query's answer (res, NULL if none came) is complete;
 * the connection is idle again and takes the next waiting query. */
static void
on_answered (Conn *conn, PGresult *res)
{
  Query *q = conn->query;

  conn->query = NULL;
  q->conn = NULL;
  q->result = res;
  if (res)
    query_timed (conn->store, q);
  conn->state = CONN_IDLE;
  conn_watch (conn, G_IO_IN);
  if (res == NULL)
    query_finish (q, g_error_new (KB_ERROR, KB_ERROR_DATABASE, "no result"));
  else
    query_finish (q, NULL);
  pool_dispatch (conn->store);
}

/* CONN_PREPARING and CONN_BUSY: a statement was sent; flush what libpq
 * still holds, then collect the answer once it is whole. */
static void
on_statement_io (Conn *conn, GIOCondition cond)
{
  gboolean broken;

  if (cond & G_IO_OUT) {
    int f = PQflush (conn->pg);

    if (f < 0) {
      conn_broken (conn, PQerrorMessage (conn->pg));
      return;
    }
    if (f == 0)
      conn_watch (conn, G_IO_IN);
  }
  if (!(cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
    return;
  if (!conn_collect (conn, &conn->pending, &broken))
    return;
  if (broken || PQstatus (conn->pg) == CONNECTION_BAD) {
    conn_broken (conn, PQerrorMessage (conn->pg));
    return;
  }
  if (conn->state == CONN_PREPARING)
    on_prepared (conn, g_steal_pointer (&conn->pending));
  else
    on_answered (conn, g_steal_pointer (&conn->pending));
}

/* CONN_IDLE: nothing is expected, so readable means a notice, or the
 * server saying goodbye (restart, admin shutdown). */
static void
on_idle_io (Conn *conn)
{
  PGnotify *n;

  if (!PQconsumeInput (conn->pg) || PQstatus (conn->pg) == CONNECTION_BAD) {
    conn_broken (conn, PQerrorMessage (conn->pg));
    return;
  }
  while ((n = PQnotifies (conn->pg)) != NULL)
    PQfreemem (n);
}

/* The connection's socket is ready: one handler per state.  A handler may
 * replace this very source (conn_watch), so it always continues. */
static gboolean
conn_io (gint fd, GIOCondition cond, gpointer data)
{
  Conn *conn = data;

  switch (conn->state) {
  case CONN_DOWN:
    break;
  case CONN_CONNECTING:
    on_connecting (conn);
    break;
  case CONN_PREPARING:
  case CONN_BUSY:
    on_statement_io (conn, cond);
    break;
  case CONN_IDLE:
    on_idle_io (conn);
    break;
  }
  return G_SOURCE_CONTINUE;
}

/* Sends waiting queries to idle connections. */
static void
pool_dispatch (KbStore *store)
{
  for (guint i = 0; i < store->conns->len; i++) {
    Conn *conn = g_ptr_array_index (store->conns, i);

    while (conn->state == CONN_IDLE && !g_queue_is_empty (&store->waiting)) {
      Query *q = g_queue_pop_head (&store->waiting);

      if (g_task_return_error_if_cancelled (q->task)) {
        query_free (q);
        continue;
      }
      if (!PQsendQueryPrepared (conn->pg, q->statement, (int) q->n_params,
                                (const char *const *) q->params, NULL, NULL, 0)) {
        /* Not sent at all, so another connection may take it. */
        g_queue_push_head (&store->waiting, q);
        conn_broken (conn, PQerrorMessage (conn->pg));
        break;
      }
      conn->state = CONN_BUSY;
      conn->query = q;
      q->conn = conn;
      q->sent_us = g_get_monotonic_time ();
      query_arm (q);
      conn_watch (conn, PQflush (conn->pg) == 1 ? G_IO_IN | G_IO_OUT : G_IO_IN);
    }
  }
}

/* ---- the store ---------------------------------------------------------- */

/* The conninfo as keyword/value pairs, with statement_timeout added to the
 * server options it sets (or PGOPTIONS, which an explicit options value
 * would otherwise hide).  The timeout thus holds from the connection's
 * first statement, and again after every reconnect. */
static gboolean
store_parse_conninfo (KbStore *store, guint statement_timeout_ms, GError **error)
{
  char *message = NULL;
  PQconninfoOption *parsed = PQconninfoParse (store->conninfo, &message);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *options = g_strdup (g_getenv ("PGOPTIONS"));

  if (parsed == NULL) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "the database conninfo is not valid: %s",
                 message ? g_strstrip (message) : "out of memory");
    PQfreemem (message);
    return FALSE;
  }
  for (PQconninfoOption *o = parsed; o->keyword; o++) {
    if (o->val == NULL)
      continue;
    if (strcmp (o->keyword, "options") == 0) {
      g_free (options);
      options = g_strdup (o->val);
      continue;
    }
    g_ptr_array_add (keys, g_strdup (o->keyword));
    g_ptr_array_add (values, g_strdup (o->val));
  }
  PQconninfoFree (parsed);
  for (guint i = 0; i < keys->len; i++) {
    static const gchar *const lists[] = { "host", "hostaddr", "port" };

    for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
      if (strcmp (g_ptr_array_index (keys, i), lists[k]) == 0) {
        store->host_lists[k] = g_strsplit (g_ptr_array_index (values, i), ",", -1);
        store->host_list_key[k] = i;
        if (k < 2)
          store->n_hosts = MAX (store->n_hosts, g_strv_length (store->host_lists[k]));
      }
  }
  g_ptr_array_add (keys, g_strdup ("options"));
  g_ptr_array_add (values, g_strdup_printf ("%s%s-c statement_timeout=%u", options ? options : "",
                                            options && *options ? " " : "", statement_timeout_ms));
  g_ptr_array_add (keys, NULL);
  g_ptr_array_add (values, NULL);
  store->conn_keys = (GStrv) g_ptr_array_free (g_steal_pointer (&keys), FALSE);
  store->conn_values = (GStrv) g_ptr_array_free (g_steal_pointer (&values), FALSE);
  return TRUE;
}

KbStore *
kb_store_new (const gchar *conninfo, guint pool_size, GError **error)
{
  KbStoreOptions options = {
    .pool_size = pool_size,
    .max_waiting = KB_STORE_MAX_WAITING,
    .statement_timeout_ms = KB_STORE_STATEMENT_TIMEOUT_MS,
  };

  return kb_store_new_full (conninfo, &options, error);
}

KbStore *
kb_store_new_full (const gchar *conninfo, const KbStoreOptions *options, GError **error)
{
  g_autoptr (KbStore) store = g_new0 (KbStore, 1);

  store->conninfo = g_strdup (conninfo ? conninfo : "");
  store->context = g_main_context_ref_thread_default ();
  store->conns = g_ptr_array_new ();
  g_queue_init (&store->waiting);
  store->statements = kb_sql_statements ();
  store->timing_index = g_hash_table_new (g_str_hash, g_str_equal);
  store->n_timings = g_strv_length (store->statements) / 2;
  store->timings = g_new0 (KbQueryTiming, store->n_timings);
  for (guint i = 0; i < store->n_timings; i++) {
    store->timings[i].statement = store->statements[2 * i];
    g_hash_table_insert (store->timing_index, store->statements[2 * i], &store->timings[i]);
  }
  store->max_waiting = MAX (options->max_waiting, 1);
  store->timeout_ms = MAX (options->statement_timeout_ms, 1) + CLIENT_MARGIN_MS;
  store->available = TRUE;
  if (!store_parse_conninfo (store, MAX (options->statement_timeout_ms, 1), error))
    return NULL;

  for (guint i = 0; i < MAX (options->pool_size, 1); i++) {
    Conn *conn = g_new0 (Conn, 1);

    conn->store = store;
    conn->index = i;
    conn->backoff_ms = BACKOFF_MIN_MS;
    g_ptr_array_add (store->conns, conn);

    conn->pg = PQconnectdbParams ((const char *const *) store->conn_keys,
                                  (const char *const *) store->conn_values, 0);
    if (conn->pg == NULL || PQstatus (conn->pg) != CONNECTION_OK) {
      g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "cannot connect to the database: %s",
                   conn->pg ? PQerrorMessage (conn->pg) : "out of memory");
      return NULL;
    }
    if (i == 0 && !kb_migrate_check (conn->pg, error))
      return NULL;
    for (guint s = 0; store->statements[s]; s += 2) {
      PGresult *res = PQprepare (conn->pg, store->statements[s], store->statements[s + 1], 0, NULL);

      if (PQresultStatus (res) != PGRES_COMMAND_OK) {
        g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "preparing %s: %s", store->statements[s],
                     PQresultErrorMessage (res));
        PQclear (res);
        return NULL;
      }
      PQclear (res);
    }
    if (PQsetnonblocking (conn->pg, 1) != 0) {
      g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "%s", PQerrorMessage (conn->pg));
      return NULL;
    }
    conn->state = CONN_IDLE;
    conn_watch (conn, G_IO_IN);
  }
  return g_steal_pointer (&store);
}

void
kb_store_free (KbStore *store)
{
  GQueue orphans = G_QUEUE_INIT;
  Query *q;

  if (store == NULL)
    return;
  /* Take every query out first and fail them only once the store is gone,
   * so a callback that runs at once cannot reach a half-freed pool.
   * Callbacks must not use the store after this call. */
  while ((q = g_queue_pop_head (&store->waiting)) != NULL)
    g_queue_push_tail (&orphans, q);
  for (guint i = 0; i < store->conns->len; i++) {
    Conn *conn = g_ptr_array_index (store->conns, i);

    if (conn->query) {
      conn->query->conn = NULL;
      g_queue_push_tail (&orphans, g_steal_pointer (&conn->query));
    }
    conn_unwatch (conn);
    clear_source (&conn->reconnect);
    clear_source (&conn->opening);
    g_clear_pointer (&conn->pending, PQclear);
    if (conn->pg)
      PQfinish (conn->pg);
    g_free (conn);
  }
  g_ptr_array_free (store->conns, TRUE);
  g_clear_pointer (&store->timing_index, g_hash_table_destroy);
  g_free (store->timings);
  g_strfreev (store->statements);
  g_strfreev (store->conn_keys);
  g_strfreev (store->conn_values);
  for (guint k = 0; k < G_N_ELEMENTS (store->host_lists); k++)
    g_strfreev (store->host_lists[k]);
  g_main_context_unref (store->context);
  g_free (store->conninfo);
  g_free (store);

  while ((q = g_queue_pop_head (&orphans)) != NULL) {
    q->store = NULL;
    query_finish (q, g_error_new (KB_ERROR, KB_ERROR_UNAVAILABLE, "the store is closing"));
  }
}

gboolean
kb_store_available (KbStore *store)
{
  return store->available;
}

void
kb_store_stats (KbStore *store, KbStoreStats *out)
{
  memset (out, 0, sizeof *out);
  out->connections = store->conns->len;
  for (guint i = 0; i < store->conns->len; i++) {
    Conn *c = g_ptr_array_index (store->conns, i);

    out->up += c->state == CONN_IDLE || c->state == CONN_BUSY;
  }
  out->waiting = g_queue_get_length (&store->waiting);
  out->available = store->available;
  out->refused_busy = store->refused_busy;
  out->refused_unavailable = store->refused_unavailable;
  out->reconnects = store->reconnects;
}

void
kb_store_set_seal_key (KbStore *store, const guint8 key[KB_SEAL_KEY_LEN])
{
  memcpy (store->seal_key, key, KB_SEAL_KEY_LEN);
  store->has_seal_key = TRUE;
}

const guint8 *
kb_store_seal_key (KbStore *store)
{
  return store->has_seal_key ? store->seal_key : NULL;
}

const KbQueryTiming *
kb_store_query_timings (KbStore *store, guint *n)
{
  *n = store->n_timings;
  return store->timings;
}
