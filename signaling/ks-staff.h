/* ks-staff.h — staff.c: a caseworker's authority on a socket that is
 * already open ends with the session it opened with.  The handlers of
 * logout and of the administrator's changes call it, and the sweep timer. */
#pragma once

#include "signaling/ks-client.h"

/* Closes, after a not_logged_in error, every socket opened with the session
 * secret token (when non-NULL) and every caseworker socket of caseworker_id
 * (when > 0): logging out, a deactivation and a new password take effect on
 * this node's open sockets at once. */
void ks_staff_log_out (KsServer *server, const gchar *token, gint64 caseworker_id);

/* Asks the database, in one query, which caseworker sockets' sessions are
 * still live, and closes the others the same way: how an expiry, or a
 * logout or deactivation on another node, reaches this one.  At most one
 * check runs at a time; a database that cannot answer closes nothing. */
void ks_staff_recheck (KsServer *server);
