#include <config.h>
#include "helper-path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "macros.h"
#include "xalloc.h"

/* Makefile.am passes $(libexecdir), expanded at make time so that `make prefix=...` counts. */
#ifndef RCTR_LIBEXECDIR
#error "RCTR_LIBEXECDIR is not defined: it comes from AM_CPPFLAGS in Makefile.am"
#endif

/* A cap on the /proc/self/exe target we read; real paths stop at PATH_MAX (4096). */
#define HELPER_EXE_PATH_MAX (64 * 1024)

static bool is_executable_file(const char *path)
{
        struct stat st;

        /* stat() follows symlinks: a packager may link the helper from elsewhere. */
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The target of /proc/self/exe, owned, or NULL (no /proc, or an absurd length). */
static char *self_exe_path(void)
{
        static const char deleted[] = " (deleted)";
        cleanup_free char *buf = NULL;
        size_t size = 256;
        size_t len;
        ssize_t n;

        for (;;) {
                buf = xrealloc(buf, size);
                n = readlink("/proc/self/exe", buf, size);
                if (n < 0)
                        return NULL;
                if ((size_t)n < size)
                        break;
                if (size >= HELPER_EXE_PATH_MAX)
                        return NULL;
                size *= 2;
        }
        buf[n] = '\0';

        /* A binary replaced while we run (a package upgrade) reads "<path> (deleted)". */
        len = (size_t)n;
        if (len > strlen(deleted) && streq(buf + len - strlen(deleted), deleted))
                buf[len - strlen(deleted)] = '\0';
        if (buf[0] != '/')
                return NULL;
        return TAKE_PTR(buf);
}

/* Cut path at its last '/', keeping "/" for a top-level entry. */
static void strip_last_component(char *path)
{
        char *slash = strrchr(path, '/');

        if (!slash)
                return;
        if (slash == path)
                slash[1] = '\0';
        else
                *slash = '\0';
}

/* Takes candidate: returns it if it names an executable file, else frees it. */
static char *keep_if_executable(char *candidate)
{
        if (is_executable_file(candidate))
                return candidate;
        free(candidate);
        return NULL;
}

char *rctr_helper_path(const char *name)
{
        /* Not getenv(): a privileged rctr must not run a helper the caller's environment names. */
        const char *override = secure_getenv("RCTR_HELPER_DIR");
        cleanup_free char *dir = self_exe_path();
        char *found;

        if (override && *override) {
                found = keep_if_executable(xasprintf("%s/%s", override, name));
                if (found)
                        return found;
        }

        if (dir) {
                strip_last_component(dir); /* /build/rctr → /build; /usr/bin/rctr → /usr/bin */
                found = keep_if_executable(xasprintf("%s/%s", streq(dir, "/") ? "" : dir, name));
                if (found)
                        return found;

                strip_last_component(dir); /* /usr/bin → /usr */
                found = keep_if_executable(
                        xasprintf("%s/libexec/rctr/%s", streq(dir, "/") ? "" : dir, name));
                if (found)
                        return found;
        }

        return keep_if_executable(xasprintf("%s/rctr/%s", RCTR_LIBEXECDIR, name));
}
