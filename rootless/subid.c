#include <config.h>
#include "subid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSUBID
#include <dlfcn.h>
#include <shadow/subid.h>
#endif

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

/* /etc/subuid on a big host can hold one line per user; 16 MiB is far beyond any real file. */
#define SUBID_FILE_MAX (16u * 1024 * 1024)

const char *rootless_subid_file(enum rootless_id_kind kind)
{
        return kind == ROOTLESS_ID_UID ? "/etc/subuid" : "/etc/subgid";
}

static void ranges_add(struct rootless_ranges *r, uint64_t start, uint64_t count)
{
        /* Ids are 32 bits and (uint32_t)-1 is reserved as "no id": drop ranges that reach it. */
        if (count == 0 || start + count > UINT32_MAX || r->n >= ROOTLESS_MAX_RANGES)
                return;
        r->v[r->n].start = (uint32_t)start;
        r->v[r->n].count = (uint32_t)count;
        r->n++;
}

/* One line "owner:start:count"; the owner is a name or a decimal uid. */
static void parse_line(const char *line, size_t len, const char *user, const char *idtext,
                       struct rootless_ranges *ret)
{
        cleanup_free char *copy = xstrndup(line, len);
        char *owner = copy, *start, *count;
        uint64_t s, c;

        start = strchr(owner, ':');
        if (!start)
                return;
        *start++ = '\0';
        count = strchr(start, ':');
        if (!count)
                return;
        *count++ = '\0';
        if (!streq(owner, user) && !streq(owner, idtext))
                return;
        if (parse_u64(start, &s) < 0 || parse_u64(count, &c) < 0)
                return;
        ranges_add(ret, s, c);
}

void rootless_subid_parse(const char *buf, size_t len, const char *user, uint32_t id,
                          struct rootless_ranges *ret)
{
        cleanup_free char *idtext = xasprintf("%u", id);
        size_t pos = 0;

        ret->n = 0;
        while (pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t end = nl ? (size_t)(nl - buf) : len;

                if (end > pos && buf[pos] != '#')
                        parse_line(buf + pos, end - pos, user ? user : "", idtext, ret);
                pos = end + 1;
        }
}

static int subid_get_from_file(enum rootless_id_kind kind, const char *user, uint32_t id,
                               struct rootless_ranges *ret, struct rctr_error *err)
{
        const char *path = rootless_subid_file(kind);
        cleanup_buf struct buf text = {0};
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

        buf_init(&text, SUBID_FILE_MAX);
        ret->n = 0;
        if (fd < 0 && errno == ENOENT)
                return 0; /* no file: nobody has a range */
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        if (fs_read_fd(fd, &text, path, err) < 0)
                return -err->code;
        rootless_subid_parse(text.data, text.len, user, id, ret);
        return 0;
}

#ifdef HAVE_LIBSUBID
typedef int (*subid_get_fn)(const char *owner, struct subid_range **ranges);

/*
 * libsubid is loaded only when ranges are needed (creating the pause process): linked, it and
 * its eleven dependencies cost every run of rctr-oci a few milliseconds to load and relocate.
 * NULL when it is not installed: /etc/subuid and /etc/subgid are then read directly.
 */
static subid_get_fn subid_lookup(enum rootless_id_kind kind)
{
        static void *lib;

        if (!lib)
                lib = dlopen(SUBID_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
                log_debug("libsubid not loaded (%s): reading %s", dlerror(),
                          rootless_subid_file(kind));
                return NULL;
        }
        return (subid_get_fn)dlsym(lib, kind == ROOTLESS_ID_UID ? "subid_get_uid_ranges"
                                                                : "subid_get_gid_ranges");
}

static int subid_get_from_libsubid(subid_get_fn get, enum rootless_id_kind kind, const char *user,
                                   uint32_t id, struct rootless_ranges *ret, struct rctr_error *err)
{
        cleanup_free char *idtext = xasprintf("%u", id);
        const char *owners[] = {user, idtext};

        ret->n = 0;
        /* /etc/subuid may name the owner or give its uid; libsubid matches the text given. */
        for (size_t i = 0; i < ARRAY_SIZE(owners) && ret->n == 0; i++) {
                struct subid_range *ranges = NULL;
                int n;

                if (!owners[i])
                        continue;
                n = get(owners[i], &ranges);
                if (n < 0) {
                        free(ranges);
                        return rctr_error_set(err, EIO, "read subordinate ids of %s from %s",
                                              owners[i], rootless_subid_file(kind));
                }
                for (int k = 0; k < n; k++)
                        ranges_add(ret, ranges[k].start, ranges[k].count);
                free(ranges);
        }
        return 0;
}
#endif

int rootless_subid_get(enum rootless_id_kind kind, const char *user, uint32_t id,
                       struct rootless_ranges *ret, struct rctr_error *err)
{
#ifdef HAVE_LIBSUBID
        subid_get_fn get = subid_lookup(kind);

        if (get)
                return subid_get_from_libsubid(get, kind, user, id, ret, err);
#endif
        return subid_get_from_file(kind, user, id, ret, err);
}

uint32_t rootless_ranges_total(const struct rootless_ranges *r)
{
        uint64_t total = 0;

        for (size_t i = 0; i < r->n; i++)
                total += r->v[i].count;
        return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}
