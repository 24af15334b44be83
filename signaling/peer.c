/* peer.c — who is at the other end of a connection, for rate limits and
 * logs: the TCP peer, or, when that is a reverse proxy the configuration
 * trusts, the client its X-Forwarded-For names.
 *
 * The header and the list of proxies are text from outside the process
 * (the header from anyone who can reach the proxy), so the parsing is
 * apart from lws (ks_peer_forwarded) and fuzzed (tests/fuzz/fuzz-peer.c). */

#include "signaling/ks-server.h"

#include <string.h>

GInetAddress *
ks_peer_parse_address (const gchar *text)
{
  g_autofree gchar *s = g_strstrip (g_strdup (text));
  GInetAddress *a = g_inet_address_new_from_string (s);
  if (a)
    return a;
  gchar *end = NULL;
  if (s[0] == '[' && (end = strchr (s, ']')))
    *end = '\0';
  else if ((end = strrchr (s, ':')) && strchr (s, ':') == end)
    *end = '\0'; /* one colon: IPv4 with a port */
  else
    return NULL;
  return g_inet_address_new_from_string (s[0] == '[' ? s + 1 : s);
}

/* An address, an IPv4 one written as IPv6 (::ffff:a.b.c.d, as a
 * dual-stack socket gives it) taken as the IPv4 one, whichever way it is
 * written; NULL if text is none. */
static GInetAddress *
plain_address (const gchar *text)
{
  GInetAddress *a = g_inet_address_new_from_string (text);
  if (!a || g_inet_address_get_family (a) != G_SOCKET_FAMILY_IPV6)
    return a;
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes = g_inet_address_to_bytes (a);
  if (memcmp (bytes, mapped, sizeof mapped) != 0)
    return a;
  GInetAddress *v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
  g_object_unref (a);
  return v4;
}

gboolean
ks_peer_listed (const gchar *list, const gchar *address)
{
  g_autoptr (GInetAddress) peer = plain_address (address);
  if (!peer)
    return FALSE;
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  for (gchar **p = parts; *p; p++) {
    g_autoptr (GInetAddress) entry = plain_address (g_strstrip (*p));
    if (entry && g_inet_address_equal (entry, peer))
      return TRUE;
  }
  return FALSE;
}

gchar *
ks_peer_forwarded (const gchar *xff)
{
  /* The client writes the start of the header; only the last entry is
   * the trusted proxy's. */
  const gchar *last = strrchr (xff, ',');
  g_autoptr (GInetAddress) client = ks_peer_parse_address (last ? last + 1 : xff);
  return client ? g_inet_address_to_string (client) : NULL;
}

/* Behind a reverse proxy every connection comes from the proxy; when the
 * TCP peer is one the configuration trusts, the client is the last
 * X-Forwarded-For entry (the one that proxy added: earlier entries come
 * from the client and can say anything).  A missing or malformed header
 * leaves the proxy's address, and says so once. */
gchar *
ks_peer_address (KsServer *server, struct lws *wsi)
{
  char buf[64] = "";
  lws_get_peer_simple (wsi, buf, sizeof buf);
  const gchar *trusted = server->config->trusted_proxies;
  if (!*trusted || !ks_peer_listed (trusted, buf))
    return g_strdup (buf);
  /* lws hands the header over whole: up to 8 kB (lws's own header limit
   * is lower). */
  int len = lws_hdr_total_length (wsi, WSI_TOKEN_X_FORWARDED_FOR);
  g_autofree gchar *xff = len > 0 && len < 8192 ? g_malloc (len + 1) : NULL;
  gchar *client = NULL;
  if (xff && lws_hdr_copy (wsi, xff, len + 1, WSI_TOKEN_X_FORWARDED_FOR) >= 0)
    client = ks_peer_forwarded (xff);
  if (!client) {
    static gsize warned;
    if (g_once_init_enter (&warned)) {
      g_warning ("a request from trusted proxy %s had no usable X-Forwarded-For; "
                 "counted as the proxy's own",
                 buf);
      g_once_init_leave (&warned, 1);
    }
    return g_strdup (buf);
  }
  return client;
}

gchar *
ks_peer_cookie (const gchar *header, const gchar *name)
{
  /* lws_http_cookie_get matched the name as a suffix anywhere in the
   * header: "xkontor_session=…", or "a=bkontor_session=…" inside another
   * cookie's value, was taken for the session, and over https any
   * "x__Host-kontor_session", which a sibling domain or plain http may
   * set, for the __Host- cookie that neither can.  Here a cookie is
   * "name=value" between semicolons, its name exactly ours; the first
   * wins, as the browser sends the most specific first. */
  g_auto (GStrv) parts = g_strsplit (header, ";", -1);
  gsize n = strlen (name);
  for (gchar **p = parts; *p; p++) {
    const gchar *c = *p + strspn (*p, " \t");
    if (strncmp (c, name, n) != 0 || c[n] != '=')
      continue;
    const gchar *value = c + n + 1;
    gsize len = strcspn (value, " \t");
    /* A session secret is 43 characters; anything long is none. */
    return len > 0 && len < 128 ? g_strndup (value, len) : NULL;
  }
  return NULL;
}

gchar *
ks_peer_session_cookie (struct lws *wsi)
{
  if (!wsi)
    return NULL;
  KsServer *server = lws_context_user (lws_get_context (wsi));
  const gchar *name = server && server->session_cookie ? server->session_cookie : KS_SESSION_COOKIE;
  /* Each Cookie header (HTTP/2 sends one per cookie) is a fragment of its
   * own: lws_hdr_copy would join them with spaces, which a cookie's value
   * may hold too. */
  int len = lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_COOKIE);
  if (len <= 0 || len >= 8192)
    return NULL;
  g_autofree gchar *header = g_malloc (len + 1);
  for (int i = 0; lws_hdr_copy_fragment (wsi, header, len + 1, WSI_TOKEN_HTTP_COOKIE, i) >= 0;
       i++) {
    gchar *value = ks_peer_cookie (header, name);
    if (value)
      return value;
  }
  return NULL;
}

/* ---- the Origin of a WebSocket handshake ------------------------------ */

typedef struct {
  gchar *scheme, *host;
  gint port;
} Origin;

static void
origin_clear (Origin *o)
{
  g_free (o->scheme);
  g_free (o->host);
}

/* scheme://host[:port] of an http(s) URL, lower-case, the port made
 * explicit; FALSE for anything else. */
static gboolean
origin_parse (const gchar *text, Origin *o)
{
  g_autoptr (GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const gchar *host = uri ? g_uri_get_host (uri) : NULL;

  if (!scheme || !host || !*host || g_uri_get_userinfo (uri))
    return FALSE;
  o->scheme = g_ascii_strdown (scheme, -1);
  if (!g_str_equal (o->scheme, "http") && !g_str_equal (o->scheme, "https")) {
    g_clear_pointer (&o->scheme, g_free);
    return FALSE;
  }
  o->host = g_ascii_strdown (host, -1);
  o->port = g_uri_get_port (uri);
  if (o->port < 0)
    o->port = g_str_equal (o->scheme, "https") ? 443 : 80;
  return TRUE;
}

static gboolean
loopback_name (const gchar *host)
{
  return g_str_equal (host, "localhost") || g_str_equal (host, "::1")
         || g_str_has_prefix (host, "127.");
}

gboolean
ks_peer_origin_allowed (const gchar *origin, const gchar *public_url)
{
  Origin got = { 0 }, want = { 0 };
  gboolean ok = FALSE;

  if (origin_parse (origin, &got) && origin_parse (public_url, &want)
      && g_str_equal (got.scheme, want.scheme) && got.port == want.port)
    ok = g_str_equal (got.host, want.host)
         || (loopback_name (got.host) && loopback_name (want.host));
  origin_clear (&got);
  origin_clear (&want);
  return ok;
}
