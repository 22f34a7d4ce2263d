/* Environment lists (lib/envlist.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/envlist.h"
#include "lib/xalloc.h"

void envlist_set(char ***env, const char *kv)
{
        size_t keylen = strcspn(kv, "="), n = 0;

        for (char **e = *env; e && *e; e++, n++)
                if (strncmp(*e, kv, keylen) == 0 && (*e)[keylen] == '=') {
                        free(*e);
                        *e = xstrdup(kv);
                        return;
                }
        *env = xreallocarray(*env, n + 2, sizeof(char *));
        (*env)[n] = xstrdup(kv);
        (*env)[n + 1] = NULL;
}
