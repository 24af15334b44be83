/* client-ice.h — the test client's own ICE restart (client-ice.c). */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

/* Restarts the libnice stream under webrtc: fresh local credentials,
 * remote candidates forgotten.  FALSE if there is none yet. */
gboolean tci_restart (GstElement *webrtc);
/* Writes the stream's current local credentials into an offer. */
void tci_offer_credentials (GstElement *webrtc, GstSDPMessage *offer);
/* The stream's local candidates as "candidate:…" strings. */
GPtrArray *tci_local_candidates (GstElement *webrtc);
/* ice-ufrag of the answer in force, or NULL. */
gchar *tci_remote_ufrag (GstElement *webrtc);
/* Gathers only on these comma-separated addresses, and checks consent on
 * the selected pair (client.h: TcOptions.ice_addresses). */
void tci_limit_addresses (GstElement *webrtc, const gchar *addresses);
/* Selects the pair from the host candidate on local_ip to the first remote
 * candidate (client.h: tc_switch_pair). */
gboolean tci_switch_pair (GstElement *webrtc, const gchar *local_ip);
