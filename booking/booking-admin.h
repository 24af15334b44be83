/* booking-admin.h — the administrators' API of booking/: offices, hours,
 * closures, services, caseworkers, absences, reassignment, the bookings a
 * change left outside the rules, and statistics.  Only signaling's
 * administration files (api-admin.c, api-admin-read.c) include it; the
 * rest of kontor needs booking.h alone. */
#pragma once

#include "booking/booking.h"

G_BEGIN_DECLS

/* ---- changes ----------------------------------------------------------- */

/* Every kb_admin_* call names the acting caseworker (actor_id); the
 * database refuses with KB_ERROR_FORBIDDEN unless that is an active
 * administrator (of the office concerned), and writes the audit log in the
 * same transaction.  Existing bookings are never deleted by a change:
 * kb_conflicts_async() lists the ones left outside the rules.  Finish any of
 * them with kb_admin_finish(), which returns the id created or changed (for
 * kb_admin_set_hours_async: the number of future bookings now in conflict),
 * or -1 with an error (KB_ERROR_INVALID with a reason for bad input). */

typedef struct {
  gint weekday;        /* ISO 1 = Monday … 7 = Sunday; ignored for special days */
  const gchar *opens;  /* local "HH:MM" */
  const gchar *closes; /* local "HH:MM", after opens; "24:00" allowed */
} KbInterval;

typedef struct {
  gint64 id; /* 0: create */
  const gchar *name;
  const gchar *time_zone; /* IANA; refused if unknown */
  const gchar *address;
  const gchar *const *languages; /* NULL-terminated; NULL keeps / defaults */
} KbOfficeEdit;

typedef struct {
  gint64 id; /* 0: create */
  const gchar *name;
  gint duration_min, buffer_min, notice_min, horizon_days;
  gint join_before_min, join_after_min;
  const gchar *const *languages; /* NULL or empty: any */
  gboolean interpreter_allowed;
} KbServiceEdit;

void kb_admin_save_office_async (KbStore *store, gint64 actor_id, const KbOfficeEdit *office,
                                 gint64 now, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/* Replaces all weekly hours of the office. */
void kb_admin_set_hours_async (KbStore *store, gint64 actor_id, gint64 office_id,
                               const KbInterval *hours, guint n_hours, gint64 now,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
/* A closure (n_hours 0) or special day with its own hours, on local dates
 * first_date … last_date ("YYYY-MM-DD", inclusive). */
void kb_admin_add_special_day_async (KbStore *store, gint64 actor_id, gint64 office_id,
                                     const gchar *first_date, const gchar *last_date,
                                     const gchar *reason, const KbInterval *hours, guint n_hours,
                                     gint64 now, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
void kb_admin_delete_special_day_async (KbStore *store, gint64 actor_id, gint64 special_day_id,
                                        gint64 now, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
void kb_admin_save_service_async (KbStore *store, gint64 actor_id, const KbServiceEdit *service,
                                  gint64 now, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* The password is hashed (argon2id) off the main thread. */
void kb_admin_create_caseworker_async (KbStore *store, gint64 actor_id, gint64 office_id,
                                       const gchar *name, const gchar *email, const gchar *password,
                                       gboolean is_admin, const gchar *const *languages, gint64 now,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
/* Deactivating also ends the caseworker's sessions. */
void kb_admin_set_active_async (KbStore *store, gint64 actor_id, gint64 caseworker_id,
                                gboolean active, gint64 now, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
void kb_admin_add_absence_async (KbStore *store, gint64 actor_id, gint64 caseworker_id, gint64 from,
                                 gint64 to, const gchar *reason, gint64 now,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
/* Office, name, role and languages (NULL keeps them).  An administrator
 * cannot take away their own role (KB_ERROR_INVALID "own_role"). */
void kb_admin_update_caseworker_async (KbStore *store, gint64 actor_id, gint64 caseworker_id,
                                       gint64 office_id, const gchar *name, gboolean is_admin,
                                       const gchar *const *languages, gint64 now,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
/* A new password (hashed off the main thread); ends the caseworker's
 * sessions. */
void kb_admin_set_password_async (KbStore *store, gint64 actor_id, gint64 caseworker_id,
                                  const gchar *password, gint64 now, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
void kb_admin_delete_absence_async (KbStore *store, gint64 actor_id, gint64 absence_id, gint64 now,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
gint64 kb_admin_finish (KbStore *store, GAsyncResult *result, GError **error);

/* An administrator gives a booked meeting to another caseworker of the
 * office: to_caseworker_id, or (0) the least-loaded one free then.  The
 * sequence is raised (new calendar file).  KB_ERROR_SLOT_TAKEN when nobody
 * is free. */
void kb_reassign_async (KbStore *store, gint64 booking_id, gint64 to_caseworker_id, gint64 actor_id,
                        gint64 now, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
KbBooking *kb_reassign_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- reading ----------------------------------------------------------- */

/* Future booked meetings of an office that the current hours, closures,
 * absences or caseworker status would refuse: the administrator's list.
 * GPtrArray of KbBooking* (each booking's cancel_reason field holds the
 * problem, e.g. "outside_hours"). */
void kb_conflicts_async (KbStore *store, gint64 office_id, gint64 now, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *kb_conflicts_finish (KbStore *store, GAsyncResult *result, GError **error);

typedef struct {
  gchar *date;  /* office-local "YYYY-MM-DD" */
  guint booked; /* not cancelled */
  guint completed;
  guint cancelled;
  guint no_show;
  guint not_admitted;
  gdouble wait_median_s; /* check-in → admit; NAN when nobody was admitted */
  gdouble wait_p90_s;
  gdouble booked_share; /* booked time / (opening time × active caseworkers); NAN if closed */
} KbDayStats;

void kb_day_stats_free (KbDayStats *stats);

/* One KbDayStats per local date in [from_date, to_date] (inclusive), for
 * the office.  GPtrArray (transfer full). */
void kb_stats_async (KbStore *store, gint64 office_id, const gchar *from_date, const gchar *to_date,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *kb_stats_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- messages that could not be sent (ops-notify.c; migrations 016, 017) -- */

typedef struct {
  gint64 id; /* the outbox row */
  gint64 booking_id;
  gchar *reference;
  gchar *kind;    /* confirmation, change, cancellation, reminder, link */
  gchar *channel; /* email, sms */
  gchar *status;  /* failed (given up), or pending (to be tried again) */
  gint attempts;
  gchar *last_error;                              /* no personal data */
  gint64 created_at, last_attempt_at, give_up_at; /* µs; 0: none */
} KbFailedMessage;

void kb_failed_message_free (KbFailedMessage *message);

/* The office's messages given up on and not resent, and those being
 * retried after a failure, newest first, at most 500: GPtrArray of
 * KbFailedMessage* (finish with kb_list_finish).  No contact in them. */
void kb_failed_messages_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
/* Queues a failed message again as a new one (a new Message-ID, its text
 * made from the booking when sent), by an administrator of the booking's
 * office; audited (resend_message).  KB_ERROR_NOT_FOUND for an unknown
 * message, KB_ERROR_STATE when it did not fail, was resent already, or
 * would no longer be true (a confirmation of a cancelled or past meeting, a
 * reminder after the start, no contact left).  Finish with
 * kb_admin_finish: the new message's id. */
void kb_admin_resend_message_async (KbStore *store, gint64 actor_id, gint64 message_id, gint64 now,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);

/* ---- the audit log ------------------------------------------------------ */

typedef struct {
  gint64 id;
  gint64 at;              /* µs since the epoch */
  gint64 caseworker_id;   /* who acted; 0 for the system (the sweep, a kiosk lock) */
  gchar *caseworker_name; /* NULL for the system */
  gchar *action;          /* admit, complete, cancel, login, save_office, … */
  gint64 booking_id;      /* 0 when none */
  gchar *details;         /* JSON object text */
} KbAuditEntry;

void kb_audit_entry_free (KbAuditEntry *entry);

/* The audit rows of an office (its staff's actions and its bookings'
 * events) between two office-local dates "YYYY-MM-DD" (inclusive), of one
 * caseworker when caseworker_id > 0, oldest first, at most limit.
 * admin_id must be an active administrator (else an empty list).
 * KB_ERROR_INVALID for impossible dates or a range over 366 days.  GPtrArray of KbAuditEntry*
 * (transfer full). */
void kb_audit_list_async (KbStore *store, gint64 admin_id, gint64 office_id, gint64 caseworker_id,
                          const gchar *from_date, const gchar *to_date, guint limit,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
GPtrArray *kb_audit_list_finish (KbStore *store, GAsyncResult *result, GError **error);

G_END_DECLS
