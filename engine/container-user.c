/*
 * -u user[:group] and --group-add, resolved in the container's own /etc/passwd and /etc/group as
 * podman (libpod's lookup, runc's GetExecUser) does. The files belong to the image, so they are
 * untrusted: opened inside the rootfs only, regular files only, size-capped.
 */
#include <config.h>
#include "container-spec-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

/* Bigger than any real passwd or group file; a cap keeps a hostile image from exhausting us. */
#define ACCOUNTS_FILE_MAX (8u * 1024 * 1024)
/* The kernel's NGROUPS_MAX. */
#define GROUPS_MAX 65536

void engine_container_user_clear(struct engine_container_user *u)
{
        free(u->gids);
        free(u->home);
        memset(u, 0, sizeof(*u));
}

/*
 * Read path (inside rootfsfd) into out. A missing file is no error: out stays empty, as a
 * scratch image has no /etc/passwd. Only regular files are read: opening a fifo or a device
 * the image put there could block or have side effects, so it is opened O_PATH and checked
 * before the real open through /proc/self/fd.
 */
static int read_accounts_file(int rootfsfd, const char *path, struct buf *out,
                              struct rctr_error *err)
{
        cleanup_close int pathfd = -1, fd = -1;
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *proc = NULL;
        struct stat st;

        pathfd = fs_open_in_root(rootfsfd, path, O_PATH, &ignored);
        if (pathfd == -ENOENT || pathfd == -ENOTDIR || pathfd == -ELOOP)
                return 0;
        if (pathfd < 0)
                return rctr_error_sys(err, -pathfd, "open %s in the container", path);
        if (fstat(pathfd, &st) < 0)
                return rctr_error_sys(err, errno, "stat %s in the container", path);
        if (!S_ISREG(st.st_mode))
                return rctr_error_set(err, EINVAL, "%s in the container is not a regular file",
                                      path);
        if ((uint64_t)st.st_size > ACCOUNTS_FILE_MAX)
                return rctr_error_set(err, EFBIG, "%s in the container: larger than %u bytes", path,
                                      ACCOUNTS_FILE_MAX);
        proc = xasprintf("/proc/self/fd/%d", pathfd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s in the container", path);
        return fs_read_fd(fd, out, path, err);
}

/* The next line of text (modified in place: NUL-terminated), or NULL at the end. */
static char *next_line(char **cursor)
{
        char *line = *cursor, *nl;

        if (!line || !*line)
                return NULL;
        nl = strchr(line, '\n');
        if (nl) {
                *nl = '\0';
                *cursor = nl + 1;
        } else {
                *cursor = NULL;
        }
        return line;
}

/* Split line at ':' into at most n fields; returns how many there were. */
static size_t split_fields(char *line, char **fields, size_t n)
{
        size_t i = 0;

        while (i < n) {
                fields[i++] = line;
                line = strchr(line, ':');
                if (!line)
                        break;
                *line++ = '\0';
        }
        return i;
}

/* A uid or gid: decimal, below 2^32 - 1 ((uid_t)-1 means "unchanged" to the kernel). */
static int parse_id(const char *s, uint32_t *ret)
{
        uint64_t v;

        if (parse_u64_max(s, UINT32_MAX - 1, &v) < 0)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

static bool is_number(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

struct passwd_entry {
        bool found;
        char *name; /* owned */
        uint32_t uid, gid;
        char *home; /* owned */
};

/* Find user (a name, or a uid when by_id) in passwd text. */
static void passwd_find(char *text, const char *user, bool by_id, uint32_t uid,
                        struct passwd_entry *ret)
{
        char *cursor = text, *line;

        while ((line = next_line(&cursor))) {
                char *f[7];
                uint32_t u, g;

                if (line[0] == '#' || split_fields(line, f, 7) < 4)
                        continue;
                if (parse_id(f[2], &u) < 0 || parse_id(f[3], &g) < 0)
                        continue;
                if (by_id ? u != uid : !streq(f[0], user))
                        continue;
                ret->found = true;
                ret->name = xstrdup(f[0]);
                ret->uid = u;
                ret->gid = g;
                ret->home = f[5] && f[5][0] ? xstrdup(f[5]) : NULL;
                return;
        }
}

/* Find group name in group text: its gid. Returns 0 or -ENOENT. */
static int group_find(char *text, const char *name, uint32_t *ret)
{
        char *cursor = text, *line;

        while ((line = next_line(&cursor))) {
                char *f[4];
                uint32_t g;

                if (line[0] == '#' || split_fields(line, f, 4) < 3)
                        continue;
                if (streq(f[0], name) && parse_id(f[2], &g) == 0) {
                        *ret = g;
                        return 0;
                }
        }
        return -ENOENT;
}

static void add_gid(struct engine_container_user *u, uint32_t gid)
{
        for (size_t i = 0; i < u->n_gids; i++)
                if (u->gids[i] == gid)
                        return;
        u->gids = xreallocarray(u->gids, u->n_gids + 1, sizeof(*u->gids));
        u->gids[u->n_gids++] = gid;
}

/* Every group of group text that lists name as a member (runc's supplementary groups). */
static void member_groups(char *text, const char *name, struct engine_container_user *u)
{
        char *cursor = text, *line;

        while ((line = next_line(&cursor)) && u->n_gids < GROUPS_MAX) {
                char *f[4];
                uint32_t g;

                if (line[0] == '#' || split_fields(line, f, 4) < 4 || parse_id(f[2], &g) < 0)
                        continue;
                for (char *m = f[3]; m;) {
                        char *comma = strchr(m, ',');

                        if (comma)
                                *comma++ = '\0';
                        if (streq(m, name))
                                add_gid(u, g);
                        m = comma;
                }
        }
}

struct accounts {
        struct buf passwd, group;
        bool passwd_read, group_read;
        int rootfsfd;
};

static void accounts_clear(struct accounts *a)
{
        buf_free(&a->passwd);
        buf_free(&a->group);
}

/* A private copy of passwd or group text (the parsers write into what they scan). */
static int accounts_get(struct accounts *a, bool group, char **ret, struct rctr_error *err)
{
        struct buf *b = group ? &a->group : &a->passwd;
        bool *done = group ? &a->group_read : &a->passwd_read;
        int r;

        if (!*done) {
                r = read_accounts_file(a->rootfsfd, group ? "/etc/group" : "/etc/passwd", b, err);
                if (r < 0)
                        return r;
                *done = true;
        }
        *ret = xstrndup(b->data, b->len);
        return 0;
}

static int resolve_group(struct accounts *a, const char *group, uint32_t *ret,
                         struct rctr_error *err)
{
        cleanup_free char *text = NULL;
        int r;

        if (is_number(group)) {
                if (parse_id(group, ret) < 0)
                        return rctr_error_set(err, EINVAL, "invalid group %s: out of range", group);
                return 0;
        }
        r = accounts_get(a, true, &text, err);
        if (r < 0)
                return r;
        if (group_find(text, group, ret) < 0)
                return rctr_error_set(err, ENOENT,
                                      "unable to find group %s: no matching entries in group file",
                                      group);
        return 0;
}

static int resolve_user(struct accounts *a, const char *user, struct passwd_entry *pw,
                        struct rctr_error *err)
{
        cleanup_free char *text = NULL;
        bool by_id = is_number(user);
        uint32_t uid = 0;
        int r;

        if (by_id && parse_id(user, &uid) < 0)
                return rctr_error_set(err, EINVAL, "invalid user %s: out of range", user);
        r = accounts_get(a, false, &text, err);
        if (r < 0)
                return r;
        passwd_find(text, user, by_id, uid, pw);
        if (!pw->found && !by_id)
                return rctr_error_set(err, ENOENT,
                                      "unable to find user %s: no matching entries in passwd file",
                                      user);
        if (!pw->found) {
                /* A uid the image does not know runs with gid 0, as in podman and runc. */
                pw->uid = uid;
                pw->gid = 0;
        }
        return 0;
}

static int resolve(struct accounts *a, const char *spec, char *const *group_add,
                   struct engine_container_user *u, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(spec && spec[0] ? spec : "0");
        struct passwd_entry pw = {0};
        char *colon = strchr(copy, ':');
        const char *group = NULL;
        int r;

        if (colon) {
                *colon = '\0';
                group = colon + 1;
        }
        /* ":gid" alone is root with that group, as in runc. */
        r = resolve_user(a, copy[0] ? copy : "0", &pw, err);
        if (r >= 0 && group && group[0])
                r = resolve_group(a, group, &pw.gid, err);
        if (r >= 0 && pw.found && !(group && group[0])) {
                cleanup_free char *text = NULL;

                /* Without an explicit group the user gets the groups listing it (runc). */
                r = accounts_get(a, true, &text, err);
                if (r >= 0)
                        member_groups(text, pw.name, u);
        }
        u->uid = pw.uid;
        u->gid = pw.gid;
        u->home = TAKE_PTR(pw.home);
        free(pw.name);
        for (char *const *g = group_add; r >= 0 && g && *g; g++) {
                uint32_t gid;

                if (streq(*g, "keep-groups"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --group-add keep-groups: not supported");
                r = resolve_group(a, *g, &gid, err);
                if (r >= 0)
                        add_gid(u, gid);
        }
        return r;
}

int engine_container_user_resolve(int rootfsfd, const char *user, char *const *group_add,
                                  struct engine_container_user *ret, struct rctr_error *err)
{
        struct accounts a = {.rootfsfd = rootfsfd};
        struct engine_container_user u = {0};
        int r;

        buf_init(&a.passwd, ACCOUNTS_FILE_MAX);
        buf_init(&a.group, ACCOUNTS_FILE_MAX);
        r = resolve(&a, user, group_add, &u, err);
        accounts_clear(&a);
        if (r < 0) {
                engine_container_user_clear(&u);
                return r;
        }
        *ret = u;
        return 0;
}
