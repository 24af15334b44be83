/* outbox.c — sending the job seeker's messages (migration 016).  Every
 * node with a mail server or SMS gateway configured runs one sender: every
 * few seconds, and whenever the database announces a new message (NOTIFY
 * kontor_outbox), it claims due messages (FOR UPDATE SKIP LOCKED, so that
 * nodes never take the same one), makes each from its booking, hands it
 * over on a worker thread, and records how that went.  A failure is tried
 * again later (outbox_done.sql); a node that dies mid-send leaves a claim
 * that runs out, and the message is sent again with the same Message-ID. */
#include "kb-private.h"

#include <curl/curl.h>
#include <sodium.h>
#include <string.h>

#define BATCH 10
#define CLAIM_S 120
#define TICK_S 5

struct _KbOutbox {
  KbStore *store;
  KbNotifyOptions *options; /* deep copy, shared with sends in flight (rc box) */
  KbListener *listener;
  GCancellable *cancellable;
  guint tick;
  gboolean busy;   /* a batch is being sent */
  gboolean again;  /* woken while busy: look again after it */
  PGresult *batch; /* the claimed rows */
  int next;        /* the row being sent */
};

typedef struct {
  KbOutbox *outbox;         /* only touched when the task was not cancelled */
  KbNotifyOptions *options; /* a reference: the thread may outlive the sender */
  gint64 outbox_id;
  gchar *channel, *to, *message_id;
  KbMessage *message;
  gchar *ics, *ics_method;
  gint64 now;
} Send;

static void send_next (KbOutbox *o);
static void wake (KbOutbox *o);

static void options_free (KbNotifyOptions *options);

static void
send_free (Send *s)
{
  g_atomic_rc_box_release_full (s->options, (GDestroyNotify) options_free);
  g_free (s->channel);
  g_free (s->to);
  g_free (s->message_id);
  kb_message_free (s->message);
  g_free (s->ics);
  g_free (s->ics_method);
  g_free (s);
}

/* ---- recording ------------------------------------------------------------ */

static void
recorded (GObject *source, GAsyncResult *result, gpointer data)
{
  KbOutbox *o = data;
  g_autoptr (GError) error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error); /* o may be gone */

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (res == NULL)
    /* The claim runs out and the message is sent again: the same
     * Message-ID tells the recipient's mail program it is a duplicate. */
    g_warning ("could not record a message's outcome: %s", error->message);
  g_clear_pointer (&res, PQclear);
  o->next++;
  send_next (o);
}

static void
record (KbOutbox *o, gint64 id, gboolean ok, const gchar *why, gboolean permanent)
{
  g_autofree gchar *oid = kb_param_int64 (id);
  g_autofree gchar *now = kb_param_int64 (kb_clock_now ());
  const gchar *params[] = {
    oid, ok ? "t" : "f", why, o->options->node, now, permanent ? "t" : "f"
  };

  if (!ok)
    g_message ("message %" G_GINT64_FORMAT " not sent: %s", id, why);
  kb_store_query_async (o->store, "outbox_done", 6, params, o->cancellable, recorded, o);
}

/* ---- sending, on a worker thread --------------------------------------------- */

static void
send_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Send *s = data;
  GError *error = NULL;
  gboolean ok;

  if (g_str_equal (s->channel, "email"))
    ok = kb_send_email (s->options, s->to, s->message_id, s->message, s->ics, s->ics_method, s->now,
                        &error);
  else
    ok = kb_send_sms (s->options, s->to, s->message_id, s->message->sms, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
sent (GObject *source, GAsyncResult *result, gpointer data)
{
  Send *s = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  /* The task's cancellable outlives the sender: the sender may not. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  record (s->outbox, s->outbox_id, ok, ok ? NULL : error->message, FALSE);
}

/* ---- making one message -------------------------------------------------------- */

static void
send_row (KbOutbox *o, PGresult *res, int row)
{
  g_autoptr (KbBooking) b = kb_booking_from_row (res, row);
  gint64 id = kb_row_int64 (res, row, "outbox_id");
  const gchar *channel = kb_row_text (res, row, "channel");
  const gchar *to = kb_row_text (res, row, "contact_to");
  KbMessageKind kind = kb_message_kind_from_name (kb_row_text (res, row, "kind"));
  gboolean email = g_strcmp0 (channel, "email") == 0;
  g_autofree gchar *token = NULL;

  if (!to) {
    record (o, id, FALSE, "the booking has no contact any more", TRUE);
    return;
  }
  if (email ? !*o->options->smtp_url : !*o->options->sms_url) {
    record (o, id, FALSE, email ? "no mail server is configured" : "no SMS gateway is configured",
            TRUE);
    return;
  }
  if (kind == KB_MESSAGE_REMINDER && kb_clock_now () >= b->starts_at) {
    record (o, id, FALSE, "the meeting had begun: a reminder is no use", TRUE);
    return;
  }
  if (o->options->has_key)
    token = kb_unseal_token (o->options->key, kb_row_text (res, row, "token_sealed"));
  g_autofree gchar *join =
      token ? g_strdup_printf ("%s/join.html#t=%s", o->options->public_url, token) : NULL;
  g_autofree gchar *manage =
      token ? g_strdup_printf ("%s/booking.html#t=%s", o->options->public_url, token) : NULL;

  Send *s = g_new0 (Send, 1);
  s->outbox = o;
  s->options = g_atomic_rc_box_acquire (o->options);
  s->outbox_id = id;
  s->channel = g_strdup (channel);
  s->to = g_strdup (to);
  s->message_id = g_strdup (kb_row_text (res, row, "message_id"));
  s->message = kb_message_build (kind, b, join, manage);
  s->now = kb_clock_now ();
  if (email) {
    gboolean cancel = kind == KB_MESSAGE_CANCELLATION;
    s->ics_method = g_strdup (cancel ? "CANCEL" : "REQUEST");
    s->ics = kb_ics_build_invitation (b, s->ics_method, join, manage, o->options->domain,
                                      o->options->smtp_from, to, s->now);
  }
  GTask *task = g_task_new (NULL, o->cancellable, sent, NULL);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, s, (GDestroyNotify) send_free);
  g_task_run_in_thread (task, send_thread);
  g_object_unref (task);
}

static void
send_next (KbOutbox *o)
{
  if (o->batch && o->next < PQntuples (o->batch)) {
    send_row (o, o->batch, o->next);
    return;
  }
  gboolean full = o->batch && PQntuples (o->batch) == BATCH;
  g_clear_pointer (&o->batch, PQclear);
  o->busy = FALSE;
  if (full || o->again) {
    o->again = FALSE;
    wake (o);
  }
}

/* ---- claiming ------------------------------------------------------------------- */

static void
claimed (GObject *source, GAsyncResult *result, gpointer data)
{
  KbOutbox *o = data;
  g_autoptr (GError) error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error); /* o may be gone */

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (res == NULL) {
    g_debug ("claiming messages failed (tried again shortly): %s", error->message);
    o->busy = FALSE;
    return;
  }
  o->batch = res;
  o->next = 0;
  send_next (o);
}

static void
wake (KbOutbox *o)
{
  if (o->busy) {
    o->again = TRUE;
    return;
  }
  if (!kb_store_available (o->store))
    return;
  o->busy = TRUE;
  g_autofree gchar *now = kb_param_int64 (kb_clock_now ());
  g_autofree gchar *limit = kb_param_int64 (BATCH);
  g_autofree gchar *claim = kb_param_int64 (CLAIM_S);
  const gchar *params[] = { o->options->node, now, limit, claim };
  kb_store_query_async (o->store, "outbox_claim", 4, params, o->cancellable, claimed, o);
}

static gboolean
tick (gpointer data)
{
  wake (data);
  return G_SOURCE_CONTINUE;
}

static void
notified (const gchar *payload, gpointer data)
{
  wake (data);
}

static void
released (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error); /* data may be gone */

  if (res == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_message ("could not take back this node's unfinished messages (their claims run out "
                 "by themselves): %s",
                 error->message);
    return;
  }
  PQclear (res);
  wake (data);
}

/* ---- the sender ------------------------------------------------------------------ */

static void
options_free (KbNotifyOptions *x)
{
  g_free (x->smtp_url);
  g_free (x->smtp_user);
  g_free (x->smtp_password);
  g_free (x->smtp_from);
  g_free (x->smtp_ca_file);
  g_free (x->sms_url);
  g_strfreev (x->sms_headers);
  g_free (x->sms_body);
  g_free (x->public_url);
  g_free (x->node);
  g_free (x->domain);
  sodium_memzero (x->key, sizeof x->key);
}

static KbNotifyOptions *
options_copy (const KbNotifyOptions *from)
{
  KbNotifyOptions *x = g_atomic_rc_box_new0 (KbNotifyOptions);
  *x = *from;
  x->smtp_url = g_strdup (from->smtp_url ? from->smtp_url : "");
  x->smtp_user = g_strdup (from->smtp_user);
  x->smtp_password = g_strdup (from->smtp_password);
  x->smtp_from = g_strdup (from->smtp_from ? from->smtp_from : "");
  x->smtp_ca_file = g_strdup (from->smtp_ca_file);
  x->sms_url = g_strdup (from->sms_url ? from->sms_url : "");
  x->sms_headers = g_strdupv (from->sms_headers);
  x->sms_body = g_strdup (from->sms_body ? from->sms_body : "");
  x->public_url = g_strdup (from->public_url);
  x->node = g_strdup (from->node);
  x->domain = g_strdup (from->domain);
  return x;
}

KbOutbox *
kb_outbox_new (KbStore *store, const gchar *conninfo, const KbNotifyOptions *options)
{
  KbOutbox *o = g_new0 (KbOutbox, 1);
  static gsize curl_ready;

  if (g_once_init_enter (&curl_ready)) {
    curl_global_init (CURL_GLOBAL_DEFAULT);
    g_once_init_leave (&curl_ready, 1);
  }
  o->store = store;
  o->options = options_copy (options);
  o->cancellable = g_cancellable_new ();
  o->tick = g_timeout_add_seconds (TICK_S, tick, o);
  o->listener = kb_listener_new (conninfo, "kontor_outbox", notified, o);
  {
    const gchar *params[] = { o->options->node };
    kb_store_query_async (store, "outbox_release_node", 1, params, o->cancellable, released, o);
  }
  return o;
}

void
kb_outbox_free (KbOutbox *o)
{
  if (!o)
    return;
  g_cancellable_cancel (o->cancellable);
  g_clear_handle_id (&o->tick, g_source_remove);
  g_clear_pointer (&o->listener, kb_listener_free);
  g_clear_pointer (&o->batch, PQclear);
  g_atomic_rc_box_release_full (o->options, (GDestroyNotify) options_free);
  g_object_unref (o->cancellable);
  g_free (o);
}
