/* status.c — names of booking states and join verdicts, and freeing the
 * structs booking.h hands out.  The names are the database enum labels and
 * the machine codes browsers see, so they never change. */
#include "kb-private.h"

#include <string.h>

static const gchar *const status_names[] = {
  [KB_STATUS_BOOKED] = "booked",
  [KB_STATUS_WAITING] = "waiting",
  [KB_STATUS_IN_MEETING] = "in_meeting",
  [KB_STATUS_COMPLETED] = "completed",
  [KB_STATUS_CANCELLED] = "cancelled",
  [KB_STATUS_NO_SHOW] = "no_show",
  [KB_STATUS_NOT_ADMITTED] = "not_admitted",
};

const gchar *
kb_status_to_string (KbStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return "unknown";
  return status_names[status];
}

gboolean
kb_status_from_string (const gchar *text, KbStatus *out)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    if (strcmp (text, status_names[i]) == 0) {
      if (out)
        *out = (KbStatus) i;
      return TRUE;
    }
  return FALSE;
}

const gchar *
kb_join_verdict_code (KbJoinVerdict verdict)
{
  switch (verdict) {
  case KB_JOIN_OK:
  case KB_JOIN_REJOIN:
    return NULL;
  case KB_JOIN_NO_BOOKING:
    return "no_booking";
  case KB_JOIN_CANCELLED:
    return "cancelled";
  case KB_JOIN_TOO_EARLY:
    return "too_early";
  case KB_JOIN_TOO_LATE:
    return "too_late";
  case KB_JOIN_COMPLETED:
    return "completed";
  }
  return "no_booking";
}

void
kb_booking_free (KbBooking *booking)
{
  if (booking == NULL)
    return;
  g_free (booking->reference);
  g_free (booking->seeker_name);
  g_free (booking->service_name);
  g_free (booking->language);
  g_free (booking->caseworker_name);
  g_free (booking->office_name);
  g_free (booking->office_tz);
  g_free (booking->office_address);
  g_free (booking->cancel_reason);
  g_free (booking->seeker_present_on);
  g_free (booking->seeker_contact);
  g_free (booking);
}

void
kb_caseworker_free (KbCaseworker *caseworker)
{
  if (caseworker == NULL)
    return;
  g_free (caseworker->name);
  g_free (caseworker->email);
  g_free (caseworker->office_name);
  g_free (caseworker->office_tz);
  g_strfreev (caseworker->languages);
  g_free (caseworker);
}

void
kb_demo_free (KbDemo *demo)
{
  if (demo == NULL)
    return;
  g_free (demo->caseworker_email);
  g_free (demo->caseworker_password);
  g_free (demo->booking_reference);
  g_free (demo->booking_token);
  g_free (demo);
}

void
kb_slot_free (KbSlot *slot)
{
  if (slot == NULL)
    return;
  if (slot->caseworker_ids)
    g_array_unref (slot->caseworker_ids);
  g_free (slot);
}

void
kb_book_result_free (KbBookResult *result)
{
  if (result == NULL)
    return;
  kb_booking_free (result->booking);
  g_free (result->token);
  g_free (result->kiosk_code);
  g_free (result);
}

void
kb_day_stats_free (KbDayStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->date);
  g_free (stats);
}

void
kb_office_free (KbOffice *office)
{
  if (office == NULL)
    return;
  g_free (office->name);
  g_free (office->time_zone);
  g_free (office->address);
  g_strfreev (office->languages);
  g_strfreev (office->caseworker_languages);
  g_free (office);
}

void
kb_service_free (KbService *service)
{
  if (service == NULL)
    return;
  g_free (service->name);
  g_strfreev (service->languages);
  g_free (service);
}
