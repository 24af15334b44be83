/* api-admin.c — what an administrator changes: offices, weekly hours,
 * closures and special days, services, caseworkers, absences and
 * reassignment (docs/api.md "Administration"); what they read is
 * api-admin-read.c's.
 *
 * Every action is a POST under /api/v1/admin/ whose body is checked
 * strictly here; the database checks the actor is an administrator of the
 * office concerned and writes the audit log (booking/sql/003_admin.sql). */

#include "booking/booking-admin.h"
#include "signaling/ks-handlers.h"
#include "signaling/ks-room.h"
#include "signaling/ks-staff.h"

#include <string.h>

/* ---- answers --------------------------------------------------------- */

/* Refusals in an administrator's words.  ks_respond_booking_error speaks
 * to a job seeker about a booking ("There is no booking for this link",
 * "Someone else just took that time"), which misleads an administrator
 * who named a caseworker that does not exist or entered overlapping
 * hours.  The codes stay those of docs/api.md; only the words change. */
static const struct {
  const gchar *path;
  const gchar *message;
} overlaps[] = {
  { "/api/v1/admin/hours", "Two of those intervals overlap on the same weekday." },
  { "/api/v1/admin/special-days",
    "That overlaps a closure or special day already entered for this office." },
  { "/api/v1/admin/reassign", "No other caseworker is free at that time." },
};

static const struct {
  const gchar *reason;
  const gchar *message;
} admin_rules[] = {
  { "time_zone", "That is not a time zone kontor knows (for example Europe/Oslo)." },
  { "date", "The last day is before the first." },
  { "hours", "Every interval needs a weekday, an opening and a closing time." },
  { "own_role", "Administrators cannot take away their own role." },
  { "duplicate", "That name or e-mail address is already in use." },
  { "invalid",
    "Those values do not fit together (for example, an interval that closes before it opens)." },
  { "bad_value", "A value is out of range (for example 25:00)." },
  { "missing", "A required value is missing." },
  { "not_found", "That names something that does not exist." },
};

/* The database's own words after "reason: ": our functions
 * (booking/sql/functions) write "no such caseworker" for NOT_FOUND and a
 * sentence such as "only a booked meeting can be reassigned" for STATE,
 * so they name the thing concerned. */
static const gchar *
own_words (const GError *error)
{
  const gchar *colon = strstr (error->message, ": ");
  return colon ? colon + 2 : error->message;
}

static gboolean
admin_refused (KsRequest *r, const GError *error)
{
  if (error == NULL || error->domain != KB_ERROR)
    return ks_respond_booking_error (r, error);
  const gchar *words = own_words (error);
  if (error->code == KB_ERROR_NOT_FOUND) {
    /* A row gone between a change and its read-back has other words. */
    g_autofree gchar *message = g_str_has_prefix (words, "no such ")
                                    ? g_strdup_printf ("There is %s.", words)
                                    : g_strdup ("That no longer exists.");
    ks_respond_error (r, 404, "no_booking", message);
    return TRUE;
  }
  if (error->code == KB_ERROR_STATE) {
    g_autofree gchar *message =
        words[0] ? g_strdup_printf ("%c%s.", g_ascii_toupper (words[0]), words + 1)
                 : g_strdup ("That can no longer be changed.");
    ks_respond_error (r, 409, "not_changeable", message);
    return TRUE;
  }
  g_autofree gchar *reason = kb_error_reason (error);
  if (error->code == KB_ERROR_SLOT_TAKEN && g_strcmp0 (reason, "no_caseworker") != 0) {
    for (gsize i = 0; i < G_N_ELEMENTS (overlaps); i++)
      if (g_str_equal (r->path, overlaps[i].path)) {
        ks_respond_error (r, 409, "slot_taken", overlaps[i].message);
        return TRUE;
      }
  }
  if (error->code == KB_ERROR_INVALID && reason) {
    for (gsize i = 0; i < G_N_ELEMENTS (admin_rules); i++)
      if (g_str_equal (reason, admin_rules[i].reason)) {
        ks_respond_error (r, 422, reason, admin_rules[i].message);
        return TRUE;
      }
  }
  return ks_respond_booking_error (r, error);
}

static void
admin_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  gint64 id = kb_admin_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || admin_refused (r, error))
    return;
  ks_respond (r, 200, json_pack ("{s:I}", "id", (json_int_t) id));
}

/* A deactivation or a new password has ended the caseworker's sessions in
 * the database; their open sockets end here (ks-staff.h). */
typedef struct {
  KsRequest *request;
  gint64 caseworker_id;
} SessionsEnd;

static SessionsEnd *
sessions_end_new (KsRequest *r, gint64 caseworker_id)
{
  SessionsEnd *end = g_new (SessionsEnd, 1);
  end->request = ks_request_ref (r);
  end->caseworker_id = caseworker_id;
  return end;
}

static void
sessions_ended_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SessionsEnd *end = user_data;
  g_autoptr (KsRequest) r = end->request;
  gint64 caseworker_id = end->caseworker_id;
  g_autoptr (GError) error = NULL;
  gint64 id = kb_admin_finish (r->server->store, result, &error);

  g_free (end);
  if (!error)
    ks_staff_log_out (r->server, NULL, caseworker_id);
  if (ks_answer_dropped (r, error) || admin_refused (r, error))
    return;
  ks_respond (r, 200, json_pack ("{s:I}", "id", (json_int_t) id));
}

static void
bad (KsRequest *r, const gchar *message)
{
  ks_respond_error (r, 400, "bad_request", message);
}

/* A NULL-terminated copy of a JSON array of short strings, or NULL with an
 * answer sent.  *ok tells the two NULLs apart (absent is fine). */
static gchar **
string_list (KsRequest *r, json_t *array, gboolean *ok)
{
  *ok = TRUE;
  if (!array)
    return NULL;
  if (!json_is_array (array) || json_array_size (array) > 32) {
    *ok = FALSE;
    bad (r, "languages must be a list of language codes such as [\"nb\", \"en\"].");
    return NULL;
  }
  gchar **out = g_new0 (gchar *, json_array_size (array) + 1);
  for (gsize i = 0; i < json_array_size (array); i++) {
    const gchar *s = json_string_value (json_array_get (array, i));
    if (!s || strlen (s) < 2 || strlen (s) > 3) {
      g_strfreev (out);
      *ok = FALSE;
      bad (r, "languages must be a list of language codes such as [\"nb\", \"en\"].");
      return NULL;
    }
    out[i] = g_strdup (s);
  }
  return out;
}

/* Intervals [{weekday?, opens, closes}], weekday required when weekly. */
static KbInterval *
intervals (KsRequest *r, json_t *array, gboolean weekly, guint *n)
{
  *n = 0;
  if (!json_is_array (array) || json_array_size (array) > 7 * 8) {
    bad (r, "hours must be a list of {weekday, opens, closes} (at most 8 a day).");
    return NULL;
  }
  KbInterval *out = g_new0 (KbInterval, json_array_size (array) + 1);
  for (gsize i = 0; i < json_array_size (array); i++) {
    json_error_t err;
    /* json_int_t, not int: jansson's "i" casts without a check, and
     * weekday 4294967297 was Monday. */
    json_int_t weekday = 0;
    const gchar *opens = NULL, *closes = NULL;
    int rc = weekly
                 ? json_unpack_ex (json_array_get (array, i), &err, JSON_STRICT, "{s:I, s:s, s:s}",
                                   "weekday", &weekday, "opens", &opens, "closes", &closes)
                 : json_unpack_ex (json_array_get (array, i), &err, JSON_STRICT, "{s:s, s:s}",
                                   "opens", &opens, "closes", &closes);
    if (rc != 0 || (weekly && (weekday < 1 || weekday > 7))) {
      g_free (out);
      bad (r, weekly
                  ? "each interval is {weekday 1-7 (Monday 1), opens \"HH:MM\", closes \"HH:MM\"}."
                  : "each interval is {opens \"HH:MM\", closes \"HH:MM\"}.");
      return NULL;
    }
    out[i] = (KbInterval){ (int) weekday, opens, closes };
  }
  *n = json_array_size (array);
  return out;
}

/* Passwords of 12 characters or more; on failure it has answered. */
static gboolean
password_ok_or_reply (KsRequest *r, const gchar *password)
{
  if (g_utf8_strlen (password, -1) >= 12 && strlen (password) <= 1024)
    return TRUE;
  ks_respond_error (r, 422, "weak_password", "A password needs at least 12 characters.");
  return FALSE;
}

/* ---- actions: each gets the administrator and the parsed body ------- */

typedef void (*AdminAction) (KsRequest *r, KbCaseworker *admin, json_t *body);

static void
save_office (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  KbOfficeEdit e = { 0 };
  json_int_t id = 0;
  json_t *langs = NULL;
  json_error_t err;
  gboolean ok;
  e.address = "";
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s?I, s:s, s:s, s?s, s?o}", "id", &id, "name",
                      &e.name, "time_zone", &e.time_zone, "address", &e.address, "languages",
                      &langs)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  g_auto (GStrv) languages = string_list (r, langs, &ok);
  if (!ok)
    return;
  e.id = id;
  e.languages = (const gchar *const *) languages;
  kb_admin_save_office_async (r->server->store, admin->id, &e, kb_clock_now (), r->cancellable,
                              admin_done, ks_request_ref (r));
}

static void
set_hours (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t office = 0;
  json_t *list = NULL;
  json_error_t err;
  guint n;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:o}", "office_id", &office, "hours", &list)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  g_autofree KbInterval *hours = intervals (r, list, TRUE, &n);
  if (!hours)
    return;
  kb_admin_set_hours_async (r->server->store, admin->id, office, hours, n, kb_clock_now (),
                            r->cancellable, admin_done, ks_request_ref (r));
}

static void
add_special_day (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t office = 0;
  const gchar *first = NULL, *last = NULL, *reason = "";
  json_t *list = NULL;
  json_error_t err;
  guint n = 0;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:s, s:s, s?s, s?o}", "office_id", &office,
                      "first_date", &first, "last_date", &last, "reason", &reason, "hours", &list)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  g_autofree KbInterval *hours = list ? intervals (r, list, FALSE, &n) : g_new0 (KbInterval, 1);
  if (!hours)
    return;
  kb_admin_add_special_day_async (r->server->store, admin->id, office, first, last, reason, hours,
                                  n, kb_clock_now (), r->cancellable, admin_done,
                                  ks_request_ref (r));
}

typedef void (*DeleteById) (KbStore *store, gint64 actor_id, gint64 id, gint64 now,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);

/* {id} → the deletion; special days and absences are taken back alike. */
static void
delete_by_id (KsRequest *r, KbCaseworker *admin, json_t *body, DeleteById delete)
{
  json_int_t id = 0;
  json_error_t err;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I}", "id", &id) != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  delete (r->server->store, admin->id, id, kb_clock_now (), r->cancellable, admin_done,
          ks_request_ref (r));
}

static void
delete_special_day (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  delete_by_id (r, admin, body, kb_admin_delete_special_day_async);
}

static void
save_service (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  KbServiceEdit e = { .duration_min = 30,
                      .buffer_min = 0,
                      .notice_min = 60,
                      .horizon_days = 60,
                      .join_before_min = 10,
                      .join_after_min = 15,
                      .interpreter_allowed = TRUE };
  json_int_t id = 0;
  /* Read as json_int_t: jansson's "i" casts to int without a check, so
   * 4294967326 minutes were stored as 30. */
  json_int_t n[] = { e.duration_min, e.buffer_min,      e.notice_min,
                     e.horizon_days, e.join_before_min, e.join_after_min };
  int *fields[] = { &e.duration_min, &e.buffer_min,      &e.notice_min,
                    &e.horizon_days, &e.join_before_min, &e.join_after_min };
  json_t *langs = NULL;
  int interpreter = 1;
  json_error_t err;
  gboolean ok;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s?I, s:s, s?I, s?I, s?I, s?I, s?I, s?I, s?o, s?b}",
                      "id", &id, "name", &e.name, "duration_min", &n[0], "buffer_min", &n[1],
                      "notice_min", &n[2], "horizon_days", &n[3], "join_before_min", &n[4],
                      "join_after_min", &n[5], "languages", &langs, "interpreter_allowed",
                      &interpreter)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  /* The database's own bounds (migrations 001, 002), checked here so that
   * the answer names the field instead of a vague rule. */
  static const struct {
    const gchar *name;
    json_int_t min, max;
  } bounds[] = { { "duration_min", 5, 480 },    { "buffer_min", 0, 240 },
                 { "notice_min", 0, 43200 },    { "horizon_days", 1, 366 },
                 { "join_before_min", 0, 120 }, { "join_after_min", 0, 240 } };
  for (gsize i = 0; i < G_N_ELEMENTS (n); i++) {
    if (n[i] < bounds[i].min || n[i] > bounds[i].max) {
      g_autofree gchar *text =
          g_strdup_printf ("%s must be from %" JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT ".",
                           bounds[i].name, bounds[i].min, bounds[i].max);
      ks_respond_error (r, 422, "bad_value", text);
      return;
    }
    *fields[i] = (int) n[i];
  }
  g_auto (GStrv) languages = string_list (r, langs, &ok);
  if (!ok)
    return;
  e.id = id;
  e.languages = (const gchar *const *) languages;
  e.interpreter_allowed = interpreter;
  kb_admin_save_service_async (r->server->store, admin->id, &e, kb_clock_now (), r->cancellable,
                               admin_done, ks_request_ref (r));
}

static void
create_caseworker (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t office = 0;
  const gchar *name = NULL, *email = NULL, *password = NULL;
  int is_admin = 0;
  json_t *langs = NULL;
  json_error_t err;
  gboolean ok;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:s, s:s, s:s, s?b, s?o}", "office_id",
                      &office, "name", &name, "email", &email, "password", &password, "is_admin",
                      &is_admin, "languages", &langs)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (!password_ok_or_reply (r, password))
    return;
  if (!strchr (email, '@') || strlen (email) > 254) {
    ks_respond_error (r, 400, "bad_request", "email must be an e-mail address.");
    return;
  }
  g_auto (GStrv) languages = string_list (r, langs, &ok);
  if (!ok)
    return;
  kb_admin_create_caseworker_async (r->server->store, admin->id, office, name, email, password,
                                    is_admin, (const gchar *const *) languages, kb_clock_now (),
                                    r->cancellable, admin_done, ks_request_ref (r));
}

static void
set_active (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t id = 0;
  int active = 0;
  json_error_t err;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:b}", "caseworker_id", &id, "active",
                      &active)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (active)
    kb_admin_set_active_async (r->server->store, admin->id, id, TRUE, kb_clock_now (),
                               r->cancellable, admin_done, ks_request_ref (r));
  else
    kb_admin_set_active_async (r->server->store, admin->id, id, FALSE, kb_clock_now (),
                               r->cancellable, sessions_ended_done, sessions_end_new (r, id));
}

static void
add_absence (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t id = 0;
  const gchar *from_text = NULL, *to_text = NULL, *reason = "";
  gint64 from, to;
  json_error_t err;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:s, s:s, s?s}", "caseworker_id", &id, "from",
                      &from_text, "to", &to_text, "reason", &reason)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (!ks_parse_time (from_text, &from) || !ks_parse_time (to_text, &to) || from >= to) {
    ks_respond_error (r, 400, "bad_date", "from and to must be RFC 3339 times, from before to.");
    return;
  }
  kb_admin_add_absence_async (r->server->store, admin->id, id, from, to, reason, kb_clock_now (),
                              r->cancellable, admin_done, ks_request_ref (r));
}

static void
update_caseworker (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t id = 0, office = 0;
  const gchar *name = NULL;
  int is_admin = 0;
  json_t *langs = NULL;
  json_error_t err;
  gboolean ok;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:I, s:s, s:b, s?o}", "caseworker_id", &id,
                      "office_id", &office, "name", &name, "is_admin", &is_admin, "languages",
                      &langs)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  g_auto (GStrv) languages = string_list (r, langs, &ok);
  if (!ok)
    return;
  kb_admin_update_caseworker_async (r->server->store, admin->id, id, office, name, is_admin,
                                    (const gchar *const *) languages, kb_clock_now (),
                                    r->cancellable, admin_done, ks_request_ref (r));
}

static void
set_password (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t id = 0;
  const gchar *password = NULL;
  json_error_t err;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s:s}", "caseworker_id", &id, "password",
                      &password)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (!password_ok_or_reply (r, password))
    return;
  kb_admin_set_password_async (r->server->store, admin->id, id, password, kb_clock_now (),
                               r->cancellable, sessions_ended_done, sessions_end_new (r, id));
}

static void
delete_absence (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  delete_by_id (r, admin, body, kb_admin_delete_absence_async);
}

static void
reassign_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_reassign_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || admin_refused (r, error))
    return;
  ks_queue_changed (r->server, b->caseworker_id);
  ks_respond (r, 200, json_pack ("{s:o}", "booking", ks_json_booking (b)));
}

static void
reassign (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t booking = 0, to = 0;
  json_error_t err;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I, s?I}", "booking_id", &booking,
                      "to_caseworker_id", &to)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  kb_reassign_async (r->server->store, booking, to, admin->id, kb_clock_now (), r->cancellable,
                     reassign_done, ks_request_ref (r));
}

static void
resend_message (KsRequest *r, KbCaseworker *admin, json_t *body)
{
  json_int_t id = 0;
  json_error_t err;
  if (json_unpack_ex (body, &err, JSON_STRICT, "{s:I}", "id", &id) != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  kb_admin_resend_message_async (r->server->store, admin->id, id, kb_clock_now (), r->cancellable,
                                 admin_done, ks_request_ref (r));
}

static const struct {
  const gchar *path;
  AdminAction action;
} actions[] = {
  { "/api/v1/admin/offices", save_office },
  { "/api/v1/admin/hours", set_hours },
  { "/api/v1/admin/special-days", add_special_day },
  { "/api/v1/admin/special-days/delete", delete_special_day },
  { "/api/v1/admin/services", save_service },
  { "/api/v1/admin/caseworkers", create_caseworker },
  { "/api/v1/admin/caseworkers/active", set_active },
  { "/api/v1/admin/caseworkers/update", update_caseworker },
  { "/api/v1/admin/caseworkers/password", set_password },
  { "/api/v1/admin/absences", add_absence },
  { "/api/v1/admin/absences/delete", delete_absence },
  { "/api/v1/admin/reassign", reassign },
  { "/api/v1/admin/messages/resend", resend_message },
};

static void
admin_next (KsRequest *r, KbCaseworker *cw)
{
  if (!cw->is_admin) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_str_equal (r->path, actions[i].path)) {
      actions[i].action (r, cw, r->step);
      return;
    }
  ks_respond_error (r, 404, "not_found", "There is no such API endpoint.");
}

void
ks_api_admin (KsRequest *r)
{
  json_t *body = ks_body_json_or_reply (r);
  if (!body)
    return;
  ks_request_set_step (r, body, (GDestroyNotify) json_decref);
  ks_with_session (r, admin_next);
}
