/* Which registries.conf files to read, and laying drop-ins over the main file. */
#include <config.h>
#include "registries-conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/registries-conf-private.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

struct regconf_alias *regconf_alias_find(const struct image_regconf *c, const char *name)
{
        for (size_t i = 0; i < c->n_aliases; i++)
                if (streq(c->aliases[i].name, name))
                        return &c->aliases[i];
        return NULL;
}

/* Lay drop-in u over c, as containers-registries.conf.d(5) says; u's contents move to c. */
static int regconf_merge(struct image_regconf *c, struct image_regconf *u, const char *path,
                         struct rctr_error *err)
{
        int r;

        for (size_t i = 0; i < u->n_registries; i++) {
                struct regconf_registry *reg = &u->registries[i];
                size_t j;

                for (j = 0; j < c->n_registries; j++)
                        if (streq(c->registries[j].prefix, reg->prefix))
                                break;
                if (j < c->n_registries) {
                        regconf_registry_clear(&c->registries[j]);
                        c->registries[j] = *reg;
                        *reg = (struct regconf_registry){0};
                } else if ((r = regconf_registries_add(c, path, reg, err)) < 0) {
                        return r;
                }
        }
        if (u->search) {
                strv_free(c->search);
                c->search = TAKE_PTR(u->search);
                free(c->search_origin);
                c->search_origin = TAKE_PTR(u->search_origin);
        }
        if (u->mode_set) {
                c->mode = u->mode;
                c->mode_set = true;
        }
        for (size_t i = 0; i < u->n_aliases; i++) {
                struct regconf_alias *a = regconf_alias_find(c, u->aliases[i].name);

                if (a) {
                        regconf_alias_clear(a);
                } else if (c->n_aliases >= REGCONF_MAX_ALIASES) {
                        return rctr_error_set(err, EFBIG, "%s: more than %d aliases in all", path,
                                              REGCONF_MAX_ALIASES);
                } else {
                        c->aliases =
                                xreallocarray(c->aliases, c->n_aliases + 1, sizeof(*c->aliases));
                        a = &c->aliases[c->n_aliases++];
                }
                *a = u->aliases[i];
                u->aliases[i] = (struct regconf_alias){0};
        }
        return 0;
}

static int registry_cmp(const void *a, const void *b)
{
        return strcmp(((const struct regconf_registry *)a)->prefix,
                      ((const struct regconf_registry *)b)->prefix);
}

int image_regconf_load_files(char **paths, struct image_regconf **ret, struct rctr_error *err)
{
        cleanup_regconf struct image_regconf *c = xzalloc(sizeof(*c));
        bool first = true;
        int r;

        for (size_t i = 0; paths && paths[i]; i++) {
                cleanup_regconf struct image_regconf *u = NULL;

                r = regconf_read(paths[i], i == 0, &u, err);
                if (r == -ENOENT) {
                        /* No main file is a normal system; a drop-in may vanish as we list. */
                        log_debug("%s: not found, skipping", paths[i]);
                        rctr_error_clear(err);
                        continue;
                }
                if (r < 0)
                        return r;
                log_debug("loaded %s", paths[i]);
                if (first) {
                        image_regconf_free(c);
                        c = TAKE_PTR(u);
                        first = false;
                        continue;
                }
                r = regconf_merge(c, u, paths[i], err);
                if (r < 0)
                        return r;
        }
        /* Sorted, so the longest-prefix match is the same whatever order files listed them. */
        if (c->n_registries)
                qsort(c->registries, c->n_registries, sizeof(*c->registries), registry_cmp);
        if (!c->search) {
                c->search = xzalloc(2 * sizeof(*c->search));
                c->search[0] = xstrdup("docker.io");
        }
        if (!c->mode_set)
                c->mode = IMAGE_SHORTNAME_PERMISSIVE;
        *ret = TAKE_PTR(c);
        return 0;
}

static void strv_push(char ***v, size_t *n, char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(**v));
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append dir's "*.conf" regular files (symlinks followed), sorted, to *v. */
static int dropins_add(const char *dir, char ***v, size_t *n, struct rctr_error *err)
{
        cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = NULL;
        cleanup_strv char **names = NULL;
        size_t n_names = 0;
        struct dirent *de;

        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return 0;
        if (fd < 0)
                return rctr_error_sys(err, errno, "open directory %s", dir);
        d = fdopendir(fd);
        if (!d)
                return rctr_error_sys(err, errno, "open directory %s", dir);
        TAKE_FD(fd); /* the DIR owns it now */
        for (errno = 0; (de = readdir(d)); errno = 0) {
                size_t len = strlen(de->d_name);
                struct stat st;

                if (len < 5 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n_names >= IMAGE_REGCONF_MAX_DROPINS)
                        return rctr_error_set(err, EFBIG, "%s: more than %d drop-in files", dir,
                                              IMAGE_REGCONF_MAX_DROPINS);
                strv_push(&names, &n_names, xstrdup(de->d_name));
        }
        if (errno)
                return rctr_error_sys(err, errno, "read directory %s", dir);
        if (n_names)
                qsort(names, n_names, sizeof(*names), name_cmp);
        for (size_t i = 0; i < n_names; i++)
                strv_push(v, n, xasprintf("%s/%s", dir, names[i]));
        return 0;
}

int image_regconf_paths(const char *system_dir, const char *user_dir, char ***ret,
                        struct rctr_error *err)
{
        cleanup_free char *user_file = NULL, *user_dropins = NULL, *system_dropins = NULL;
        cleanup_strv char **v = xzalloc(sizeof(*v));
        size_t n = 0;
        struct stat st;
        int r;

        if (user_dir) {
                user_file = xasprintf("%s/registries.conf", user_dir);
                user_dropins = xasprintf("%s/registries.conf.d", user_dir);
        }
        /* A user's own registries.conf replaces the system's, drop-ins included. */
        if (user_file && stat(user_file, &st) == 0) {
                strv_push(&v, &n, TAKE_PTR(user_file));
                r = dropins_add(user_dropins, &v, &n, err);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(v);
                return 0;
        }
        system_dropins = xasprintf("%s/registries.conf.d", system_dir);
        strv_push(&v, &n, xasprintf("%s/registries.conf", system_dir));
        r = dropins_add(system_dropins, &v, &n, err);
        if (r < 0)
                return r;
        if (user_dropins) {
                r = dropins_add(user_dropins, &v, &n, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

int image_regconf_load_default(struct image_regconf **ret, struct rctr_error *err)
{
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        cleanup_free char *user_dir = NULL;
        cleanup_strv char **paths = NULL;
        int r;

        /* The XDG base directory spec says to ignore a relative XDG_CONFIG_HOME. */
        if (xdg && xdg[0] == '/')
                user_dir = xasprintf("%s/containers", xdg);
        else if (home && home[0] == '/')
                user_dir = xasprintf("%s/.config/containers", home);
        r = image_regconf_paths("/etc/containers", user_dir, &paths, err);
        if (r < 0)
                return r;
        return image_regconf_load_files(paths, ret, err);
}

char **image_regconf_search(const struct image_regconf *c)
{
        return c->search;
}

enum image_shortname_mode image_regconf_shortname_mode(const struct image_regconf *c)
{
        return c->mode;
}
