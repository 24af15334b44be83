/* booking.h — what other modules may ask of bookings.
 *
 * booking/ owns the PostgreSQL schema (migrations in booking/sql/), the
 * asynchronous connection pool, secrets (link tokens, sessions, passwords)
 * and the rules of the booked meeting: who may enter, when, and what state
 * a booking is in.  It knows nothing of WebRTC or JSON.
 *
 * Threading: every function here is called on the main thread.  The
 * *_async functions never block: they queue a prepared statement on the pool
 * and call back on the thread-default main context of the caller.
 *
 * Time: every operation that depends on "now" takes it as a parameter
 * (microseconds since the Unix epoch, as g_get_real_time()), usually from
 * kb_clock_now().  SQL never calls now() for a rule, so tests can set the
 * clock.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KB_ERROR (kb_error_quark ())
GQuark kb_error_quark (void);

typedef enum {
  KB_ERROR_DATABASE,      /* connection lost, SQL failed, schema behind */
  KB_ERROR_NOT_FOUND,     /* no such booking / caseworker / session */
  KB_ERROR_BAD_LOGIN,     /* wrong e-mail or password */
  KB_ERROR_STATE,         /* transition not allowed from the current status */
  KB_ERROR_FORBIDDEN,     /* the role may not do this (not an administrator) */
  KB_ERROR_SLOT_TAKEN,    /* refused by an exclusion constraint */
  KB_ERROR_INVALID,       /* input refused by a rule (check, trigger) */
  KB_ERROR_UNAVAILABLE,   /* the database cannot be reached, or did not
                           * answer in time; a write in flight then may or
                           * may not have been applied */
  KB_ERROR_BUSY,          /* refused without running: too many queries
                           * waiting, or the statement timed out (rolled back) */
  KB_ERROR_NOT_LOGGED_IN, /* the session acted through is over (logged out,
                           * expired, password reset) or its caseworker
                           * deactivated */
} KbErrorCode;

/* Rule violations (KB_ERROR_INVALID) and overlaps (KB_ERROR_SLOT_TAKEN)
 * carry a stable machine reason as the start of the message, before ": ":
 * outside_hours, not_a_slot, notice, horizon, absent, caseworker_inactive,
 * duration, contact_cap, seeker_overlap, language, no_interpreter, no_service,
 * no_office, slot_taken, no_caseworker, time_zone, date, hours; and for
 * plain constraint failures duplicate, not_found, missing, bad_value,
 * invalid.  This returns it (transfer full), or NULL if the error carries
 * none (database errors). */
gchar *kb_error_reason (const GError *error);

/* ---- clock ------------------------------------------------------------ */

/* The time the server believes: the real time plus an offset (zero unless
 * configured for a demo or a test). */
gint64 kb_clock_now (void);
void kb_clock_set_offset (gint64 offset_us);
/* A calendar date as the API writes it, "YYYY-MM-DD": exactly ten
 * characters, digits where digits belong, a day that exists.  Sets out
 * (may be NULL) and returns TRUE, or FALSE for anything else. */
gboolean kb_date_parse (const gchar *text, GDate *out);

/* ---- secrets ---------------------------------------------------------- */

#define KB_TOKEN_HASH_LEN 32

/* A new random secret, 32 bytes as unpadded base64url (43 chars).
 * Transfer full. */
gchar *kb_token_new (void);
/* SHA-256 of the token text; this is what the database stores. */
void kb_token_hash (const gchar *token, guint8 out[KB_TOKEN_HASH_LEN]);
/* Constant-time comparison of two equal-length byte strings. */
gboolean kb_secret_equal (const void *a, const void *b, gsize len);
/* argon2id (libsodium crypto_pwhash_str); transfer full, NULL on error. */
gchar *kb_password_hash (const gchar *password, GError **error);
gboolean kb_password_verify (const gchar *hash, const gchar *password);

/* ---- bookings ---------------------------------------------------------- */

typedef enum {
  KB_STATUS_BOOKED,
  KB_STATUS_WAITING,    /* checked in inside the join window */
  KB_STATUS_IN_MEETING, /* admitted by the caseworker */
  KB_STATUS_COMPLETED,
  KB_STATUS_CANCELLED,
  KB_STATUS_NO_SHOW,      /* never checked in before the window closed */
  KB_STATUS_NOT_ADMITTED, /* checked in, never admitted: follow-up */
} KbStatus;

const gchar *kb_status_to_string (KbStatus status); /* "in_meeting" … */
gboolean kb_status_from_string (const gchar *text, KbStatus *out);

/* One booking as the other modules see it.  Times are µs since the epoch;
 * 0 means "not yet". */
typedef struct {
  gint64 id;
  gchar *reference; /* short human reference, e.g. "K7F-3QX" */
  gchar *seeker_name;
  gchar *service_name;
  gchar *language;
  gint64 caseworker_id;
  gchar *caseworker_name;
  gint64 office_id;
  gchar *office_name;
  gchar *office_tz; /* IANA zone, e.g. "Europe/Oslo" */
  gint64 starts_at;
  gint64 ends_at;
  gint join_before_s; /* join window opens this long before start */
  gint join_after_s;  /* and closes this long after start */
  KbStatus status;
  gint64 checked_in_at;
  gint64 admitted_at;
  gint64 ended_at;
  gint sequence;        /* iCalendar SEQUENCE: +1 per move/cancel */
  gboolean interpreter; /* the job seeker asked for an interpreter */
  gint64 service_id;
  gchar *office_address;
  gint64 created_at;
  gint64 cancelled_at;
  gchar *cancel_reason;  /* NULL unless a caseworker gave one */
  gchar *seeker_contact; /* as the job seeker gave it */
  gboolean kiosk_locked; /* ten wrong kiosk codes: a new one is needed */
  /* Only from the queue: the node in whose room the job seeker is now
   * (migration 015), NULL when nowhere. */
  gchar *seeker_present_on;
} KbBooking;

void kb_booking_free (KbBooking *booking);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbBooking, kb_booking_free)

/* ---- the store: pool, migrations, settings ----------------------------- */

typedef struct _KbStore KbStore;

/* Applies every migration in booking/sql/ not yet recorded in the version
 * table, each in its own transaction.  Blocking: for start-up and the
 * `kontor migrate` command only, never on the running loop. */
gboolean kb_migrate (const gchar *conninfo, GError **error);

/* Opens pool_size connections (blocking, at start-up), checks the schema is
 * current (names the missing migration if not) and prepares statements.
 * Reconnects by itself after the database restarts.  Transfer full.
 * Uses KB_STORE_MAX_WAITING and KB_STORE_STATEMENT_TIMEOUT_MS. */
KbStore *kb_store_new (const gchar *conninfo, guint pool_size, GError **error);

#define KB_STORE_MAX_WAITING 200
#define KB_STORE_STATEMENT_TIMEOUT_MS 5000

/* The bounds of the pool.
 *
 * max_waiting: queries queued for a free connection; past it a query fails
 * at once with KB_ERROR_BUSY instead of queuing.
 *
 * statement_timeout_ms: the server's statement_timeout on every connection
 * (passed as a connection option, so it holds from the first statement and
 * again after each reconnect); a statement cut off by it fails with
 * KB_ERROR_BUSY and has changed nothing.  The pool's own timer is this plus
 * two seconds, twice: once for the wait for a connection (KB_ERROR_BUSY,
 * nothing sent) and once for the answer (KB_ERROR_UNAVAILABLE, the
 * connection is dropped and reopened). */
typedef struct {
  guint pool_size;
  guint max_waiting;
  guint statement_timeout_ms;
} KbStoreOptions;

KbStore *kb_store_new_full (const gchar *conninfo, const KbStoreOptions *options, GError **error);

/* What the pool is doing, for /metrics. */
typedef struct {
  guint connections;           /* pool_size */
  guint up;                    /* connected, statements prepared */
  guint waiting;               /* queries queued for a free connection */
  gboolean available;          /* FALSE once a reconnect failed with none up */
  guint64 refused_busy;        /* KB_ERROR_BUSY answers since start */
  guint64 refused_unavailable; /* KB_ERROR_UNAVAILABLE answers since start */
  guint64 reconnects;          /* connections opened again after a loss */
} KbStoreStats;

void kb_store_stats (KbStore *store, KbStoreStats *out);

/* How long each named statement took, from sending it to the whole answer
 * (a database error counts too; a query refused, timed out or cut off by a
 * lost connection does not), as a histogram per statement for /metrics.
 * The bounds (seconds, ascending) are the same for every statement. */
#define KB_QUERY_BUCKETS 12
extern const gdouble kb_query_bucket_bounds[KB_QUERY_BUCKETS];
typedef struct {
  const gchar *statement;               /* the prepared statement's name */
  guint64 counts[KB_QUERY_BUCKETS + 1]; /* per bucket, not cumulative; the last: above all */
  guint64 count;
  gdouble sum_s;
} KbQueryTiming;

/* Every statement's timing, in name order; *n is their number.  Borrowed
 * from the store, which updates it in place as queries complete. */
const KbQueryTiming *kb_store_query_timings (KbStore *store, guint *n);
void kb_store_free (KbStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbStore, kb_store_free)

/* The cap on live (booked or waiting, not yet over) bookings per
 * normalised job seeker contact that the database enforces (default 3), so
 * a script cannot book out a week.  From kontor.conf. */
gboolean kb_set_contact_cap (const gchar *conninfo, guint cap, GError **error);

/* How many days after a booking's end its job seeker's name, contact and
 * kiosk code are kept (default 90); kb_sweep_async() blanks them after
 * that, keeping the times and statuses statistics read. */
gboolean kb_set_retention_days (const gchar *conninfo, guint days, GError **error);
/* How many days audit_log rows are kept (default 730); kb_sweep_async()
 * removes older ones, through kb_purge_audit (the only way rows leave). */
gboolean kb_set_audit_retention_days (const gchar *conninfo, guint days, GError **error);

/* ---- caseworkers and their sessions ------------------------------------ */

typedef struct {
  gint64 id;
  gchar *name;
  gchar *email;
  gint64 office_id;
  gchar *office_name;
  gchar *office_tz;
  gboolean is_admin;
  /* filled by kb_caseworkers_async() only: */
  gboolean active;
  GStrv languages;
} KbCaseworker;

void kb_caseworker_free (KbCaseworker *caseworker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbCaseworker, kb_caseworker_free)

/* Verifies the password (argon2id, off the main thread) and creates a
 * session.  *session_token receives the raw secret for the cookie (transfer
 * full); only its hash is stored.  Wrong e-mail and wrong password fail the
 * same way: KB_ERROR_BAD_LOGIN. */
void kb_login_async (KbStore *store, const gchar *email, const gchar *password, gint64 now,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
KbCaseworker *kb_login_finish (KbStore *store, GAsyncResult *result, gchar **session_token,
                               GError **error);

/* The caseworker behind a live session token (KB_ERROR_NOT_FOUND if none
 * or expired). */
void kb_session_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);
KbCaseworker *kb_session_finish (KbStore *store, GAsyncResult *result, GError **error);

/* Which of n session secrets are still live (unexpired, caseworker
 * active), in one query: for the sockets that opened with them.  Finish
 * returns n flags, TRUE for live (transfer full). */
void kb_sessions_live_async (KbStore *store, const gchar *const *tokens, guint n, gint64 now,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
gboolean *kb_sessions_live_finish (KbStore *store, GAsyncResult *result, GError **error);

/* Ends the session (audited as logout at now). */
void kb_logout_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
gboolean kb_logout_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- what there is to book: offices, services, caseworkers, hours ------ */

typedef struct {
  gint64 id;
  gchar *name;
  gchar *time_zone;
  gchar *address;
  GStrv languages;            /* the office serves */
  GStrv caseworker_languages; /* its active caseworkers speak, sorted */
} KbOffice;

void kb_office_free (KbOffice *office);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbOffice, kb_office_free)

typedef struct {
  gint64 id;
  gchar *name;
  gint duration_min, buffer_min, notice_min, horizon_days;
  gint join_before_min, join_after_min;
  GStrv languages; /* empty: any */
  gboolean interpreter_allowed;
} KbService;

void kb_service_free (KbService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbService, kb_service_free)

/* All offices / all services, by name: GPtrArray of KbOffice* / KbService*.
 * The caseworkers of one office (active or not), KbCaseworker* with active
 * and languages set.  Finish each with kb_list_finish(). */
void kb_offices_async (KbStore *store, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data);
void kb_services_async (KbStore *store, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
void kb_caseworkers_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
typedef struct {
  gint64 id;
  gint64 caseworker_id;
  gint64 from, to; /* µs since the epoch */
  gchar *reason;
} KbAbsence;

void kb_absence_free (KbAbsence *absence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbAbsence, kb_absence_free)

/* Absences of the office's caseworkers that have not ended by now:
 * GPtrArray of KbAbsence* (finish with kb_list_finish). */
void kb_absences_async (KbStore *store, gint64 office_id, gint64 now, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data);

typedef struct {
  gint weekday;  /* ISO 1 = Monday … 7 = Sunday */
  gchar *opens;  /* "HH:MM" local */
  gchar *closes; /* "HH:MM" local, "24:00" possible */
} KbHours;

void kb_hours_free (KbHours *hours);

typedef struct {
  gint64 id;
  gchar *first_date; /* "YYYY-MM-DD", inclusive */
  gchar *last_date;
  gchar *reason;
  GStrv hours; /* "HH:MM-HH:MM" each; empty: closed */
} KbSpecialDay;

void kb_special_day_free (KbSpecialDay *day);

/* An office's weekly hours (KbHours*, by weekday and time) and its
 * closures and special days (KbSpecialDay*, by date); finish with
 * kb_list_finish. */
void kb_hours_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data);
void kb_special_days_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

GPtrArray *kb_list_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- free slots -------------------------------------------------------- */

typedef struct {
  gint64 office_id;
  gint64 starts_at; /* µs since the epoch */
  gint64 ends_at;
  GArray *caseworker_ids; /* gint64: the caseworkers free then, ascending */
} KbSlot;

void kb_slot_free (KbSlot *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbSlot, kb_slot_free)

typedef struct {
  gint64 service_id;
  gint64 office_id;       /* 0: every office (a video meeting need not be local) */
  gint64 caseworker_id;   /* 0: any caseworker */
  const gchar *language;  /* NULL: any */
  const gchar *from_date; /* office-local date "YYYY-MM-DD", inclusive */
  const gchar *to_date;   /* inclusive */
} KbSlotQuery;

/* Free slots, in start order: the grid begins at each opening interval and
 * steps by duration + buffer in absolute time, so DST changes neither drop
 * nor double a slot; notice and horizon are applied against now.  Returns a
 * GPtrArray of KbSlot* (transfer full).  An impossible date fails with
 * KB_ERROR_INVALID. */
void kb_slots_async (KbStore *store, const KbSlotQuery *query, gint64 now,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *kb_slots_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- booking, cancelling, moving --------------------------------------- */

/* The booking behind a link token, read only (the "my booking" page). */
void kb_booking_by_token_async (KbStore *store, const gchar *token, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_booking_by_token_finish (KbStore *store, GAsyncResult *result, GError **error);

typedef struct {
  gint64 service_id;
  gint64 office_id;
  gint64 caseworker_id; /* 0: the least-loaded free one that day */
  gint64 starts_at;
  const gchar *seeker_name;
  const gchar *seeker_contact; /* e-mail or phone; normalised by the database */
  const gchar *language;
  gboolean interpreter;
} KbBookRequest;

typedef struct {
  KbBooking *booking;
  gchar *token;      /* raw link secret: put it in the link, never log */
  gchar *kiosk_code; /* raw 6-digit kiosk code (stored argon2id-hashed) */
} KbBookResult;

void kb_book_result_free (KbBookResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbBookResult, kb_book_result_free)

/* Books a slot.  With "any caseworker" the database tries the least-loaded
 * free caseworker of the office that local day, then the next if a race
 * takes that one; KB_ERROR_SLOT_TAKEN only when none is left.  Rule
 * violations: KB_ERROR_INVALID with a reason (see kb_error_reason). */
void kb_book_async (KbStore *store, const KbBookRequest *request, gint64 now,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
KbBookResult *kb_book_finish (KbStore *store, GAsyncResult *result, GError **error);

/* The job seeker cancels by link: only while booked and not yet started
 * (else KB_ERROR_STATE; unknown link KB_ERROR_NOT_FOUND).  Returns the
 * cancelled booking (sequence raised: give out a new calendar file). */
void kb_cancel_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_cancel_finish (KbStore *store, GAsyncResult *result, GError **error);

/* A caseworker (or administrator) of the booking's office cancels with a
 * reason, while booked or waiting; audited.  Another office's booking
 * fails as an unknown one does, KB_ERROR_NOT_FOUND. */
void kb_cancel_by_caseworker_async (KbStore *store, gint64 booking_id, gint64 caseworker_id,
                                    const gchar *reason, gint64 now, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_cancel_by_caseworker_finish (KbStore *store, GAsyncResult *result, GError **error);

/* A new kiosk code for a booking, while booked or waiting, by a caseworker
 * of its office or an administrator (active); audited.  The old code stops
 * working, and a lock after ten wrong codes ends.  Returns the new code,
 * raw, for the caseworker to pass on (transfer full; only its hash is
 * stored), and in *owner_id the booking's caseworker (whose queue shows
 * it).  Another office's booking fails as an unknown one does,
 * KB_ERROR_NOT_FOUND; an ended one KB_ERROR_STATE. */
void kb_kiosk_code_renew_async (KbStore *store, gint64 booking_id, gint64 caseworker_id, gint64 now,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
gchar *kb_kiosk_code_renew_finish (KbStore *store, GAsyncResult *result, gint64 *owner_id,
                                   GError **error);

/* The job seeker moves a booked, not yet started booking by link to
 * new_start, same caseworker and service.  KB_ERROR_SLOT_TAKEN if that
 * time is taken, KB_ERROR_INVALID if it breaks a rule. */
void kb_move_async (KbStore *store, const gchar *token, gint64 new_start, gint64 now,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_move_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- the join window: entering by link or at a kiosk ------------------- */

typedef enum {
  KB_JOIN_OK,     /* first entry (or back to the waiting room) */
  KB_JOIN_REJOIN, /* admitted before and the meeting is not over */
  KB_JOIN_NO_BOOKING,
  KB_JOIN_CANCELLED,
  KB_JOIN_TOO_EARLY,
  KB_JOIN_TOO_LATE,
  KB_JOIN_COMPLETED,
} KbJoinVerdict;

/* The stable machine code sent to browsers: "no_booking", "cancelled",
 * "too_early", "too_late", "completed"; NULL for OK and REJOIN. */
const gchar *kb_join_verdict_code (KbJoinVerdict verdict);

/* Pure decision, no I/O.  booking may be NULL (unknown token).  On
 * KB_JOIN_TOO_EARLY, *opens_at (if not NULL) is set to the time the window
 * opens. */
KbJoinVerdict kb_join_decide (const KbBooking *booking, gint64 now, gint64 *opens_at);

/* A job seeker arrives with a booking link token.  Looks the booking up,
 * decides with kb_join_decide() and, on KB_JOIN_OK for a booked booking,
 * checks it in (status waiting, checked_in_at = now).  The finish function
 * returns the booking (NULL when no_booking) and the verdict; it fails
 * (returns NULL with error set) only on database errors. */
void kb_join_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_join_finish (KbStore *store, GAsyncResult *result, KbJoinVerdict *verdict,
                           gint64 *opens_at, GError **error);

/* A job seeker at a service-office kiosk types the reference and the
 * kiosk code instead of following the link.  Same verdicts and check-in as
 * kb_join_async(); a wrong code or unknown reference is KB_JOIN_NO_BOOKING
 * (the two are not told apart).  The code is verified (argon2id) off the
 * main thread. */
void kb_kiosk_join_async (KbStore *store, const gchar *reference, const gchar *code, gint64 now,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
KbBooking *kb_kiosk_join_finish (KbStore *store, GAsyncResult *result, KbJoinVerdict *verdict,
                                 gint64 *opens_at, GError **error);

/* ---- the caseworker's day: queue, admit, end, no-show ------------------ */

/* The caseworker's bookings on the local date (office zone) that contains
 * now, ordered by start.  Returns a GPtrArray of KbBooking* (transfer full,
 * free func set). */
void kb_queue_async (KbStore *store, gint64 caseworker_id, gint64 now, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *kb_queue_finish (KbStore *store, GAsyncResult *result, GError **error);

/* The three below act for the caseworker behind session_token, checked in
 * the same statement: a session that is over, or a caseworker deactivated,
 * fails with KB_ERROR_NOT_LOGGED_IN and changes nothing.  Another
 * caseworker's booking fails as an unknown one does: KB_ERROR_NOT_FOUND. */

/* waiting → in_meeting, by the booking's own caseworker.  Admitting a
 * booking already in_meeting by the same caseworker succeeds (re-entry
 * after a reload).  Returns the updated booking. */
void kb_admit_async (KbStore *store, gint64 booking_id, const gchar *session_token, gint64 now,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_admit_finish (KbStore *store, GAsyncResult *result, GError **error);

/* in_meeting → completed, by the booking's own caseworker. */
void kb_complete_async (KbStore *store, gint64 booking_id, const gchar *session_token, gint64 now,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
KbBooking *kb_complete_finish (KbStore *store, GAsyncResult *result, GError **error);

/* booked → no_show, by the booking's own caseworker, only once the
 * late-entry window has closed and nobody checked in (what the sweep would
 * do; never earlier: a no-show can cost a person their benefits).  Too
 * soon, or checked in: KB_ERROR_STATE. */
void kb_no_show_async (KbStore *store, gint64 booking_id, const gchar *session_token, gint64 now,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_no_show_finish (KbStore *store, GAsyncResult *result, GError **error);

/* A caseworker's bookings on an office-local date "YYYY-MM-DD" (any day,
 * unlike kb_queue_async's today): GPtrArray of KbBooking*. */
void kb_queue_date_async (KbStore *store, gint64 caseworker_id, const gchar *date,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);

/* ---- several nodes (ops-hosts.c, listen.c; migration 015) ------------ */

/* Take the lease on a meeting for node (lease_s seconds), or learn who
 * holds it.  Finish: the holder afterwards, node itself when it got the
 * lease (transfer full), and how many ms the holder's lease still runs; NULL
 * without an error when another node took it at that very moment. */
void kb_host_claim_async (KbStore *store, gint64 booking_id, const gchar *node, guint lease_s,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
gchar *kb_host_claim_finish (KbStore *store, GAsyncResult *result, gint64 *remaining_ms,
                             GError **error);
/* The heartbeat: renew node's leases on n meetings, with their job
 * seekers' presence.  Finish: a GArray of KbHeld, the meetings node holds
 * afterwards with their bookings' status now (transfer full); one missing
 * went to another node. */
typedef struct {
  gint64 booking_id;
  KbStatus status;
} KbHeld;
void kb_host_renew_async (KbStore *store, const gchar *node, const gint64 *booking_ids,
                          const gboolean *present, guint n, guint lease_s,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
GArray *kb_host_renew_finish (KbStore *store, GAsyncResult *result, GError **error);
/* The room closed here: give the lease back. */
void kb_host_release_async (KbStore *store, gint64 booking_id, const gchar *node,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
/* The job seeker came or went (every node's queues hear of it). */
void kb_host_presence_async (KbStore *store, gint64 booking_id, const gchar *node, gboolean present,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
/* At start: drop the leases node held in a previous life. */
void kb_host_forget_node_async (KbStore *store, const gchar *node, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/* The finish of release, presence and forget_node. */
gboolean kb_host_command_finish (KbStore *store, GAsyncResult *result, GError **error);

/* A connection of its own LISTENing on channel (a plain lower-case name):
 * func gets each notification's payload on the main loop, and NULL after
 * every (re)connection, when notifications may have been missed. */
typedef struct _KbListener KbListener;
typedef void (*KbNotifyFunc) (const gchar *payload, gpointer user_data);
KbListener *kb_listener_new (const gchar *conninfo, const gchar *channel, KbNotifyFunc func,
                             gpointer user_data);
void kb_listener_free (KbListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbListener, kb_listener_free)

/* ---- messages to the job seeker (migration 016) --------------------------- */

#define KB_SEAL_KEY_LEN 32

/* The key that seals link tokens ([notify] key_file: 64 hex digits; made,
 * mode 0600, when the file does not exist). */
gboolean kb_seal_key_load (const gchar *path, guint8 key[KB_SEAL_KEY_LEN], GError **error);
/* The token sealed (nonce, ciphertext), as a bytea parameter "\\x…";
 * transfer full. */
gchar *kb_seal_token (const guint8 key[KB_SEAL_KEY_LEN], const gchar *token);
/* The token back from the hex of its sealed form, or NULL (no such form,
 * or another key's); transfer full. */
gchar *kb_unseal_token (const guint8 key[KB_SEAL_KEY_LEN], const gchar *hex);
/* New bookings store their token sealed with key (a copy is kept). */
void kb_store_set_seal_key (KbStore *store, const guint8 key[KB_SEAL_KEY_LEN]);

typedef enum {
  KB_MESSAGE_CONFIRMATION,
  KB_MESSAGE_CHANGE,
  KB_MESSAGE_CANCELLATION,
  KB_MESSAGE_REMINDER,
  KB_MESSAGE_LINK,
  KB_MESSAGE_KINDS
} KbMessageKind;

typedef struct {
  gchar *subject; /* UTF-8, not yet encoded for a header */
  gchar *text;    /* plain text */
  gchar *html;    /* a whole HTML document */
  gchar *sms;     /* one short paragraph */
} KbMessage;

/* The words of a message of kind about booking, in its language; join_url
 * and manage_url NULL when the link is not known.  Transfer full. */
KbMessage *kb_message_build (KbMessageKind kind, const KbBooking *booking, const gchar *join_url,
                             const gchar *manage_url);
void kb_message_free (KbMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbMessage, kb_message_free)
const gchar *kb_message_kind_name (KbMessageKind kind);

/* "I lost my link" (ops-notify.c): queues the link message again when
 * reference and contact (normalised as at booking: e-mail in any case, a
 * phone number as E.164 with the office's country) match a live booking
 * with a contact and a sealed token; at most five a day per booking.
 * Finish: TRUE when one was queued.  Whoever asked must get the same
 * answer either way. */
void kb_resend_link_async (KbStore *store, const gchar *reference, const gchar *contact, gint64 now,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
gboolean kb_resend_link_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- a caseworker's calendar feed (ops-notify.c; migration 017) ---------- */

/* A new secret feed for the (active) caseworker, replacing (revoking) the
 * one before; or, with revoke, none.  Audited.  Finish: the new secret
 * (transfer full; only its hash is stored), NULL when revoked or on error. */
void kb_calendar_feed_renew_async (KbStore *store, gint64 caseworker_id, gboolean revoke,
                                   gint64 now, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gchar *kb_calendar_feed_renew_finish (KbStore *store, GAsyncResult *result, GError **error);
/* The meetings behind a feed secret that end after now minus days_back
 * (cancelled ones too), by start: a GPtrArray of KbBooking* with only the
 * fields kb_ics_build_feed reads.  KB_ERROR_NOT_FOUND for a secret that is
 * unknown, revoked or of a deactivated caseworker. */
void kb_calendar_feed_async (KbStore *store, const gchar *token, gint64 now, guint days_back,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
GPtrArray *kb_calendar_feed_finish (KbStore *store, GAsyncResult *result, GError **error);
KbMessageKind kb_message_kind_from_name (const gchar *name);

typedef struct {
  gchar *smtp_url;  /* smtp://host:587 or smtps://host:465; "" for no e-mail */
  gchar *smtp_user; /* NULL or "": no authentication */
  gchar *smtp_password;
  gchar *smtp_from;    /* "kontor <noreply@example.org>" */
  glong smtp_tls;      /* curl's CURLOPT_USE_SSL: 0 none, 1 try, 3 required */
  gchar *smtp_ca_file; /* NULL or "": the system's authorities */
  gchar *sms_url;      /* the gateway's URL; "" for no SMS */
  gchar **sms_headers; /* "Name: value" each */
  gchar *sms_body;     /* JSON with {{to}}, {{text}}, {{id}} */
  gchar *public_url;   /* for the links */
  gchar *node;         /* [cluster] node_name: who claims */
  gchar *domain;       /* for UIDs */
  guint8 key[KB_SEAL_KEY_LEN];
  gboolean has_key;
} KbNotifyOptions;

/* Blocking (a worker thread's): hand one message over.  ics may be NULL. */
gboolean kb_send_email (const KbNotifyOptions *options, const gchar *to, const gchar *message_id,
                        const KbMessage *message, const gchar *ics, const gchar *ics_method,
                        gint64 now_us, GError **error);
gboolean kb_send_sms (const KbNotifyOptions *options, const gchar *to, const gchar *message_id,
                      const gchar *text, GError **error);
/* The gateway's body: template with {{to}}, {{text}} and {{id}} filled,
 * JSON-escaped.  Transfer full. */
gchar *kb_sms_body (const gchar *template, const gchar *to, const gchar *text, const gchar *id);

/* The sender: claims due messages on this node and sends them, every few
 * seconds and when the database announces one (conninfo: for LISTEN).
 * options are copied. */
typedef struct _KbOutbox KbOutbox;
KbOutbox *kb_outbox_new (KbStore *store, const gchar *conninfo, const KbNotifyOptions *options);
void kb_outbox_free (KbOutbox *outbox);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbOutbox, kb_outbox_free)

/* The settings the outbox's triggers read, written at start-up:
 * reminder offsets in minutes before the meeting ("1440,60"), minutes
 * after which a failing message is given up, and the domain of
 * Message-IDs. */
gboolean kb_set_notify_settings (const gchar *conninfo, const gchar *reminder_minutes,
                                 guint give_up_minutes, const gchar *domain, GError **error);

/* ---- the sweep --------------------------------------------------------- */

/* Closes overdue bookings: booked and never checked in when the late-entry
 * window closed → no_show; checked in but not admitted by the booked end →
 * not_admitted; forgets expired sessions, and blanks personal data past
 * its retention (kb_set_retention_days).  Call every minute or so.
 * Returns how many bookings it closed (≥ 0), -1 on error. */
void kb_sweep_async (KbStore *store, gint64 now, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data);
gint kb_sweep_finish (KbStore *store, GAsyncResult *result, GError **error);

/* ---- calendar files ---------------------------------------------------- */

/* An RFC 5545 VCALENDAR for the booking: DTSTART/DTEND in UTC (a local
 * time in the repeated hour of an autumn change would be ambiguous), UID stable for the booking's
 * life, DTSTAMP = now, SEQUENCE = booking->sequence, STATUS:CANCELLED when cancelled; join_url and
 * manage_url (may be NULL) in DESCRIPTION and URL.  uid_domain e.g. "kontor.example".  Pure;
 * transfer full, CRLF line ends. */
gchar *kb_ics_build (const KbBooking *booking, const gchar *join_url, const gchar *manage_url,
                     const gchar *uid_domain, gint64 now);
/* The domain of calendar UIDs: public_url's host.  Transfer full. */
gchar *kb_ics_uid_domain (const gchar *public_url);
/* The same event as an invitation by e-mail: METHOD method (REQUEST, or
 * CANCEL with STATUS:CANCELLED), ORGANIZER organizer (an address, maybe
 * "Name <addr>") and ATTENDEE attendee.  Transfer full. */
gchar *kb_ics_build_invitation (const KbBooking *booking, const gchar *method,
                                const gchar *join_url, const gchar *manage_url,
                                const gchar *uid_domain, const gchar *organizer,
                                const gchar *attendee, gint64 now);

/* A caseworker's calendar feed (METHOD:PUBLISH, X-WR-CALNAME
 * calendar_name): one event per KbBooking of bookings, with only id,
 * reference, service_name, starts_at, ends_at, status and sequence read:
 * the UID of kb_ics_build, STATUS:CANCELLED for a cancelled one, nothing
 * about the job seeker.  Transfer full. */
gchar *kb_ics_build_feed (GPtrArray *bookings, const gchar *calendar_name, const gchar *uid_domain,
                          gint64 now);

/* ---- demo data (blocking; for `kontor demo`) --------------------------- */

typedef struct {
  gchar *caseworker_email;
  gchar *caseworker_password; /* printed once to the operator */
  gchar *booking_reference;
  gchar *booking_token; /* raw link secret */
  gint64 booking_starts_at;
} KbDemo;

void kb_demo_free (KbDemo *demo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbDemo, kb_demo_free)

/* Creates (or refreshes) an office in Europe/Oslo open around now, a
 * service, a caseworker (nb and en) with a fresh random password, and a booking that
 * starts starts_in_s seconds after now.  Each call adds one new booking; the
 * office, service and caseworker are reused. */
KbDemo *kb_demo_seed (const gchar *conninfo, gint64 now, gint starts_in_s, GError **error);

G_END_DECLS
