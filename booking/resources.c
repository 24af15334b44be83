/* resources.c — the SQL compiled into the binary (booking/kb.gresource.xml):
 * migrations and named statements travel with an installed kontor, no path
 * to a source tree needed. */
#include "kb-private.h"
#include "kb-resources.h"

#include <string.h>

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* Sorted children of a resource folder ending in .sql. */
static GStrv
list_sql (const gchar *folder)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_auto (GStrv) children = g_resource_enumerate_children (kb_get_resource (), folder,
                                                           G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  for (guint i = 0; children && children[i]; i++)
    if (g_str_has_suffix (children[i], ".sql"))
      g_ptr_array_add (names, g_strdup (children[i]));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

GStrv
kb_sql_migrations (void)
{
  return list_sql ("/org/kontor/booking/sql/");
}

GStrv
kb_sql_functions (void)
{
  return list_sql ("/org/kontor/booking/sql/functions/");
}

gchar *
kb_sql_text (const gchar *path)
{
  g_autofree gchar *full = g_strconcat ("/org/kontor/booking/", path, NULL);
  g_autoptr (GBytes) bytes =
      g_resource_lookup_data (kb_get_resource (), full, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  gsize len;
  const gchar *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  return g_strndup (data, len);
}

GStrv
kb_sql_statements (void)
{
  g_auto (GStrv) files = list_sql ("/org/kontor/booking/queries/");
  g_autoptr (GPtrArray) out = g_ptr_array_new ();

  for (guint i = 0; files[i]; i++) {
    g_autofree gchar *path = g_strconcat ("queries/", files[i], NULL);

    g_ptr_array_add (out, g_strndup (files[i], strlen (files[i]) - 4));
    g_ptr_array_add (out, kb_sql_text (path));
  }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}
