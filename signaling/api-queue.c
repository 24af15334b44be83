/* api-queue.c — a caseworker's queue over plain HTTP: the day's bookings
 * (GET /api/v1/queue), cancelling one with a reason (POST
 * /api/v1/queue/cancel) and a new kiosk code (POST
 * /api/v1/queue/kiosk-code); docs/api.md "Caseworker session".  The live queue
 * on the WebSocket is queue.c's. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-room.h"

#include <stdio.h>
#include <string.h>

/* The queue of today, or of ?date=YYYY-MM-DD (read while routing: the
 * query string is gone once the session lookup answers). */
typedef struct {
  gchar *date;      /* NULL: today */
  gchar *time_zone; /* the caseworker's office zone, for "today" */
} QueueArgs;

static void
queue_args_free (gpointer p)
{
  QueueArgs *a = p;
  g_free (a->date);
  g_free (a->time_zone);
  g_free (a);
}

static void
queue_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  QueueArgs *a = r->step;
  g_autoptr (GPtrArray) bookings = a->date ? kb_list_finish (r->server->store, result, &error)
                                           : kb_queue_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error))
    return;
  if (error) {
    ks_respond_booking_error (r, error);
    return;
  }
  ks_respond (r, 200, ks_queue_json (r->server, a->time_zone, a->date, bookings, kb_clock_now ()));
}

static void
queue_next (KsRequest *r, KbCaseworker *cw)
{
  QueueArgs *a = r->step;
  a->time_zone = g_strdup (cw->office_tz);
  if (a->date)
    kb_queue_date_async (r->server->store, cw->id, a->date, r->cancellable, queue_done,
                         ks_request_ref (r));
  else
    kb_queue_async (r->server->store, cw->id, kb_clock_now (), r->cancellable, queue_done,
                    ks_request_ref (r));
}

void
ks_api_queue (KsRequest *r)
{
  QueueArgs *a = g_new0 (QueueArgs, 1);
  ks_request_set_step (r, a, queue_args_free);
  a->date = ks_request_arg (r, "date");
  if (a->date) {
    if (!kb_date_parse (a->date, NULL)) {
      ks_respond_error (r, 400, "bad_date", "date must be a real date as YYYY-MM-DD.");
      return;
    }
  }
  ks_with_session (r, queue_next);
}

/* ---- POST /api/v1/queue/cancel (caseworker) ---------------------------- */

typedef struct {
  gint64 booking_id;
  gchar *reason;
} CancelArgs;

static void
queue_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_cancel_by_caseworker_finish (r->server->store, result, &error);
  if (b) { /* done, even if nobody waits for the answer any more */
    ks_stats_booking (r->server, KS_BOOKING_CANCELLED_BY_CASEWORKER);
    ks_room_over (r->server, b->id, KB_STATUS_CANCELLED);
  }
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  ks_queue_changed (r->server, b->caseworker_id);
  ks_respond (r, 200, json_pack ("{s:o}", "booking", ks_json_booking (b)));
}

static void
queue_cancel_next (KsRequest *r, KbCaseworker *cw)
{
  CancelArgs *args = r->step;
  kb_cancel_by_caseworker_async (r->server->store, args->booking_id, cw->id, args->reason,
                                 kb_clock_now (), r->cancellable, queue_cancel_done,
                                 ks_request_ref (r));
}

static void
cancel_args_free (gpointer p)
{
  CancelArgs *args = p;
  g_free (args->reason);
  g_free (args);
}

void
ks_api_queue_cancel (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  json_int_t id = 0;
  const gchar *reason = NULL;
  json_error_t err;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:I, s:s}", "booking_id", &id, "reason", &reason)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  glong n = g_utf8_strlen (reason, -1);
  if (id <= 0 || n < 1 || n > 500) {
    ks_respond_error (r, 400, "bad_request",
                      "booking_id must be an id and reason 1-500 characters.");
    return;
  }
  CancelArgs *args = g_new0 (CancelArgs, 1);
  args->booking_id = id;
  args->reason = g_strdup (reason);
  ks_request_set_step (r, args, cancel_args_free);
  ks_with_session (r, queue_cancel_next);
}

/* ---- POST /api/v1/queue/kiosk-code (caseworker) ------------------------ */

static void
kiosk_code_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  gint64 owner = 0;
  gchar *code = kb_kiosk_code_renew_finish (r->server->store, result, &owner, &error);
  if (!error)
    ks_queue_changed (r->server, owner); /* the lock is gone from the queue */
  if (!ks_answer_dropped (r, error) && !ks_respond_booking_error (r, error))
    ks_respond (r, 200, json_pack ("{s:s}", "kiosk_code", code));
  if (code) /* a secret of the job seeker's: no copy left behind */
    memset (code, 0, strlen (code));
  g_free (code);
}

static void
kiosk_code_next (KsRequest *r, KbCaseworker *cw)
{
  kb_kiosk_code_renew_async (r->server->store, *(gint64 *) r->step, cw->id, kb_clock_now (),
                             r->cancellable, kiosk_code_done, ks_request_ref (r));
}

void
ks_api_queue_kiosk_code (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  json_int_t id = 0;
  json_error_t err;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:I}", "booking_id", &id) != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (id <= 0) {
    ks_respond_error (r, 400, "bad_request", "booking_id must be an id.");
    return;
  }
  gint64 booking_id = id;
  ks_request_set_step (r, g_memdup2 (&booking_id, sizeof booking_id), g_free);
  ks_with_session (r, kiosk_code_next);
}
