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
  KB_ERROR_DATABASE,        /* connection lost, SQL failed, schema behind */
  KB_ERROR_NOT_FOUND,       /* no such booking / caseworker / session */
  KB_ERROR_BAD_LOGIN,       /* wrong e-mail or password */
  KB_ERROR_STATE,           /* transition not allowed from the current status */
  KB_ERROR_FORBIDDEN,       /* the caseworker may not act on this booking */
  KB_ERROR_SLOT_TAKEN,      /* refused by an exclusion constraint */
  KB_ERROR_INVALID,         /* input refused by a rule (check, trigger) */
} KbErrorCode;

/* ---- clock ------------------------------------------------------------ */

/* The time the server believes: the real time plus an offset (zero unless
 * configured for a demo or a test). */
gint64 kb_clock_now (void);
void   kb_clock_set_offset (gint64 offset_us);

/* ---- secrets ---------------------------------------------------------- */

#define KB_TOKEN_HASH_LEN 32

/* A new random secret, 32 bytes as unpadded base64url (43 chars).
 * Transfer full. */
gchar   *kb_token_new (void);
/* SHA-256 of the token text; this is what the database stores. */
void     kb_token_hash (const gchar *token, guint8 out[KB_TOKEN_HASH_LEN]);
/* Constant-time comparison of two equal-length byte strings. */
gboolean kb_secret_equal (const void *a, const void *b, gsize len);
/* argon2id (libsodium crypto_pwhash_str); transfer full, NULL on error. */
gchar   *kb_password_hash (const gchar *password, GError **error);
gboolean kb_password_verify (const gchar *hash, const gchar *password);

/* ---- booking state ---------------------------------------------------- */

typedef enum {
  KB_STATUS_BOOKED,
  KB_STATUS_WAITING,        /* checked in inside the join window */
  KB_STATUS_IN_MEETING,     /* admitted by the caseworker */
  KB_STATUS_COMPLETED,
  KB_STATUS_CANCELLED,
  KB_STATUS_NO_SHOW,        /* never checked in before the window closed */
  KB_STATUS_NOT_ADMITTED,   /* checked in, never admitted: follow-up */
} KbStatus;

const gchar *kb_status_to_string (KbStatus status);   /* "in_meeting" … */
gboolean     kb_status_from_string (const gchar *text, KbStatus *out);

/* One booking as the other modules see it.  Times are µs since the epoch;
 * 0 means "not yet". */
typedef struct {
  gint64   id;
  gchar   *reference;          /* short human reference, e.g. "K7F-3QX" */
  gchar   *seeker_name;
  gchar   *service_name;
  gchar   *language;
  gint64   caseworker_id;
  gchar   *caseworker_name;
  gint64   office_id;
  gchar   *office_name;
  gchar   *office_tz;          /* IANA zone, e.g. "Europe/Oslo" */
  gint64   starts_at;
  gint64   ends_at;
  gint     join_before_s;      /* join window opens this long before start */
  gint     join_after_s;       /* and closes this long after start */
  KbStatus status;
  gint64   checked_in_at;
  gint64   admitted_at;
  gint64   ended_at;
} KbBooking;

void kb_booking_free (KbBooking *booking);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbBooking, kb_booking_free)

/* ---- the join window -------------------------------------------------- */

typedef enum {
  KB_JOIN_OK,               /* first entry (or back to the waiting room) */
  KB_JOIN_REJOIN,           /* admitted before and the meeting is not over */
  KB_JOIN_NO_BOOKING,
  KB_JOIN_CANCELLED,
  KB_JOIN_TOO_EARLY,
  KB_JOIN_TOO_LATE,
  KB_JOIN_COMPLETED,
} KbJoinVerdict;

/* The stable machine code sent to browsers: "no_booking", "cancelled",
 * "too_early", "too_late", "completed"; NULL for OK and REJOIN. */
const gchar  *kb_join_verdict_code (KbJoinVerdict verdict);

/* Pure decision, no I/O.  booking may be NULL (unknown token).  On
 * KB_JOIN_TOO_EARLY, *opens_at (if not NULL) is set to the time the window
 * opens. */
KbJoinVerdict kb_join_decide (const KbBooking *booking, gint64 now,
                              gint64 *opens_at);

/* ---- the store: pool, migrations -------------------------------------- */

typedef struct _KbStore KbStore;

/* Applies every migration in booking/sql/ not yet recorded in the version
 * table, each in its own transaction.  Blocking: for start-up and the
 * `kontor migrate` command only, never on the running loop. */
gboolean kb_migrate (const gchar *conninfo, GError **error);

/* Opens pool_size connections (blocking, at start-up), checks the schema is
 * current (names the missing migration if not) and prepares statements.
 * Reconnects by itself after the database restarts.  Transfer full. */
KbStore *kb_store_new (const gchar *conninfo, guint pool_size, GError **error);
void     kb_store_free (KbStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbStore, kb_store_free)

/* ---- operations (asynchronous) ---------------------------------------- */

/* A job seeker arrives with a booking link token.  Looks the booking up,
 * decides with kb_join_decide() and, on KB_JOIN_OK for a booked booking,
 * checks it in (status waiting, checked_in_at = now).  The finish function
 * returns the booking (NULL when no_booking) and the verdict; it fails
 * (returns NULL with error set) only on database errors. */
void       kb_join_async (KbStore *store, const gchar *token, gint64 now,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_join_finish (KbStore *store, GAsyncResult *result,
                           KbJoinVerdict *verdict, gint64 *opens_at,
                           GError **error);

/* The booking behind a link token, read only (the "my booking" page). */
void       kb_booking_by_token_async (KbStore *store, const gchar *token,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
KbBooking *kb_booking_by_token_finish (KbStore *store, GAsyncResult *result,
                                       GError **error);

typedef struct {
  gint64  id;
  gchar  *name;
  gchar  *email;
  gint64  office_id;
  gchar  *office_name;
  gchar  *office_tz;
  gboolean is_admin;
} KbCaseworker;

void kb_caseworker_free (KbCaseworker *caseworker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbCaseworker, kb_caseworker_free)

/* Verifies the password (argon2id, off the main thread) and creates a
 * session.  *session_token receives the raw secret for the cookie (transfer
 * full); only its hash is stored.  Wrong e-mail and wrong password fail the
 * same way: KB_ERROR_BAD_LOGIN. */
void          kb_login_async (KbStore *store, const gchar *email,
                              const gchar *password, gint64 now,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
KbCaseworker *kb_login_finish (KbStore *store, GAsyncResult *result,
                               gchar **session_token, GError **error);

/* The caseworker behind a live session token (KB_ERROR_NOT_FOUND if none
 * or expired). */
void          kb_session_async (KbStore *store, const gchar *token, gint64 now,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
KbCaseworker *kb_session_finish (KbStore *store, GAsyncResult *result,
                                 GError **error);

void     kb_logout_async (KbStore *store, const gchar *token,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean kb_logout_finish (KbStore *store, GAsyncResult *result,
                           GError **error);

/* The caseworker's bookings on the local date (office zone) that contains
 * now, ordered by start.  Returns a GPtrArray of KbBooking* (transfer full,
 * free func set). */
void       kb_queue_async (KbStore *store, gint64 caseworker_id, gint64 now,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *kb_queue_finish (KbStore *store, GAsyncResult *result,
                            GError **error);

/* waiting → in_meeting, by the booking's own caseworker.  Admitting a
 * booking already in_meeting by the same caseworker succeeds (re-entry
 * after a reload).  Returns the updated booking. */
void       kb_admit_async (KbStore *store, gint64 booking_id,
                           gint64 caseworker_id, gint64 now,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_admit_finish (KbStore *store, GAsyncResult *result,
                            GError **error);

/* in_meeting → completed, by the booking's own caseworker. */
void       kb_complete_async (KbStore *store, gint64 booking_id,
                              gint64 caseworker_id, gint64 now,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
KbBooking *kb_complete_finish (KbStore *store, GAsyncResult *result,
                               GError **error);

/* ---- demo data (blocking; for `kontor demo`) -------------------------- */

typedef struct {
  gchar *caseworker_email;
  gchar *caseworker_password;   /* printed once to the operator */
  gchar *booking_reference;
  gchar *booking_token;         /* raw link secret */
  gint64 booking_starts_at;
} KbDemo;

void kb_demo_free (KbDemo *demo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KbDemo, kb_demo_free)

/* Creates (or refreshes) an office in Europe/Oslo open around now, a
 * service, a caseworker with a fresh random password, and a booking that
 * starts starts_in_s seconds after now.  Each call adds one new booking; the
 * office, service and caseworker are reused. */
KbDemo *kb_demo_seed (const gchar *conninfo, gint64 now, gint starts_in_s,
                      GError **error);

G_END_DECLS
