/* rctr top: the container's processes from /proc, in podman's (psgo's) descriptors. */
#include <config.h>
#include "engine/top.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/procs.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

/* /proc files and the container's passwd and group are read with these caps. */
#define PROC_MAX (256u * 1024)

const char *const engine_top_default[] = {"user", "pid",  "ppid", "pcpu", "etime",
                                          "tty",  "time", "args", NULL};

struct desc {
        const char *name, *aix, *header;
};

/* psgo's names, AIX codes and headers. */
static const struct desc descs[] = {
        {"args", "%a", "COMMAND"},    {"comm", "%c", "COMMAND"},  {"etime", "%t", "ELAPSED"},
        {"group", "%G", "GROUP"},     {"hgroup", NULL, "HGROUP"}, {"hpid", NULL, "HPID"},
        {"huser", NULL, "HUSER"},     {"nice", "%n", "NI"},       {"pcpu", "%C", "%CPU"},
        {"pgid", "%r", "PGID"},       {"pid", "%p", "PID"},       {"ppid", "%P", "PPID"},
        {"rgroup", "%g", "RGROUP"},   {"rss", NULL, "RSS"},       {"ruser", "%u", "RUSER"},
        {"seccomp", NULL, "SECCOMP"}, {"state", NULL, "STATE"},   {"time", "%x", "TIME"},
        {"tty", "%y", "TTY"},         {"user", "%U", "USER"},     {"vsz", "%z", "VSZ"},
};

const char *const engine_top_descriptors[] = {
        "args",  "comm", "etime", "group", "hgroup", "hpid", "huser", "nice",
        "pcpu",  "pgid", "pid",   "ppid",  "rgroup", "rss",  "ruser", "seccomp",
        "state", "time", "tty",   "user",  "vsz",    NULL,
};

static const struct desc *find_desc(const char *text)
{
        for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
                if (streq(descs[i].name, text) || (descs[i].aix && streq(descs[i].aix, text)))
                        return &descs[i];
        return NULL;
}

int engine_top_parse(const char *const *args, size_t n, char ***ret, struct rctr_error *err)
{
        cleanup_strv char **v = xzalloc(sizeof(char *));
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                cleanup_free char *copy = xstrdup(args[i]);
                char *p = copy;

                while (p) {
                        char *comma = strchr(p, ',');
                        const struct desc *d;

                        if (comma)
                                *comma = '\0';
                        d = p[0] ? find_desc(p) : NULL;
                        if (p[0] && !d)
                                return rctr_error_set(err, EINVAL,
                                                      "unknown descriptor: %s (see rctr top "
                                                      "--list-descriptors)",
                                                      p);
                        if (d) {
                                v = xreallocarray(v, k + 2, sizeof(char *));
                                v[k++] = xstrdup(d->name);
                                v[k] = NULL;
                        }
                        p = comma ? comma + 1 : NULL;
                }
        }
        *ret = TAKE_PTR(v);
        return 0;
}

/* v with prec decimals, trailing zeros (and then the point) dropped: 1500, 3 → "1.5". */
static int put_decimal(char *out, size_t size, uint64_t v, unsigned prec)
{
        uint64_t scale = 1;
        char frac[16];
        int len;

        for (unsigned i = 0; i < prec; i++)
                scale *= 10;
        len = snprintf(frac, sizeof(frac), "%0*" PRIu64, (int)prec, v % scale);
        while (len > 0 && frac[len - 1] == '0')
                frac[--len] = '\0';
        return snprintf(out, size, "%" PRIu64 "%s%s", v / scale, len ? "." : "", frac);
}

void engine_top_duration(uint64_t ns, char *out, size_t size)
{
        const uint64_t us = 1000, ms = 1000 * us, s = 1000 * ms, min = 60 * s, h = 60 * min;
        int n = 0;

        if (ns == 0) {
                snprintf(out, size, "0s");
                return;
        }
        if (ns < us) {
                snprintf(out, size, "%" PRIu64 "ns", ns);
                return;
        }
        if (ns < ms) {
                n = put_decimal(out, size, ns, 3);
                snprintf(out + n, n < (int)size ? size - (size_t)n : 0, "\u00b5s");
                return;
        }
        if (ns < s) {
                n = put_decimal(out, size, ns, 6);
                snprintf(out + n, n < (int)size ? size - (size_t)n : 0, "ms");
                return;
        }
        if (ns >= h)
                n = snprintf(out, size, "%" PRIu64 "h", ns / h);
        if (ns >= min && n < (int)size)
                n += snprintf(out + n, size - (size_t)n, "%" PRIu64 "m", ns % h / min);
        if (n < (int)size)
                n += put_decimal(out + n, size - (size_t)n, ns % min, 9);
        if (n < (int)size)
                snprintf(out + n, size - (size_t)n, "s");
}

/* What /proc says of one process. */
struct top_proc {
        pid_t hpid, pid, hppid, hpgid;
        uid_t ruid, euid;
        gid_t rgid, egid;
        char state;
        long long nice;
        uint64_t ticks, start, vsize, rss; /* ticks: user + system time */
        uint64_t tty;
        int seccomp;
        char *comm, *args;
};

struct top {
        int procfd; /* /proc */
        struct top_proc *v;
        size_t n;
        char *passwd, *group;    /* the container's, or NULL */
        char *hpasswd, *hgroup;  /* the host's */
        char *uid_map, *gid_map; /* our user namespace's: ids inside and outside */
        long hz;
        uint64_t now_ns; /* CLOCK_BOOTTIME, which start times count from */
};

static char *read_text(int dirfd, const char *name)
{
        cleanup_buf struct buf b = {0};
        cleanup_error struct rctr_error ignored = {0};

        buf_init(&b, PROC_MAX);
        if (fs_read_at(dirfd, name, &b, &ignored) < 0)
                return NULL;
        return buf_detach(&b);
}

/* "pid (comm) S ppid pgrp ...": comm may hold anything, so fields count from its last ')'. */
static int parse_stat(struct top_proc *p, const char *text)
{
        const char *open = strchr(text, '('), *close = strrchr(text, ')');
        unsigned long long f[22] = {0};
        char state = '?';
        long long nice = 0;

        if (!open || !close || close < open)
                return -EBADMSG;
        p->comm = xstrndup(open + 1, (size_t)(close - open - 1));
        if (sscanf(close + 1,
                   " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                   "%llu %lld %llu %llu %llu %llu %llu",
                   &state, &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10],
                   &f[11], &f[12], &f[13], &f[14], &f[15], &nice, &f[17], &f[18], &f[19], &f[20],
                   &f[21]) != 22)
                return -EBADMSG;
        p->state = state;
        p->hppid = (pid_t)f[1];
        p->hpgid = (pid_t)f[2];
        p->tty = f[4];
        p->ticks = f[11] + f[12];
        p->nice = nice;
        p->start = f[19];
        p->vsize = f[20];
        p->rss = f[21];
        return 0;
}

/* Uid:, Gid:, NSpid: (the last pid is the innermost namespace's) and Seccomp: of status. */
static void parse_status(struct top_proc *p, const char *text)
{
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                unsigned long a = 0, b = 0;

                if (sscanf(l, "Uid: %lu %lu", &a, &b) == 2) {
                        p->ruid = (uid_t)a;
                        p->euid = (uid_t)b;
                } else if (sscanf(l, "Gid: %lu %lu", &a, &b) == 2) {
                        p->rgid = (gid_t)a;
                        p->egid = (gid_t)b;
                } else if (strncmp(l, "NSpid:", 6) == 0) {
                        const char *end = strchr(l, '\n');
                        const char *q = end ? end : l + strlen(l);

                        while (q > l && (q[-1] == ' ' || q[-1] == '\t'))
                                q--;
                        while (q > l && q[-1] >= '0' && q[-1] <= '9')
                                q--;
                        p->pid = (pid_t)strtol(q, NULL, 10);
                } else if (sscanf(l, "Seccomp: %lu", &a) == 1) {
                        p->seccomp = (int)a;
                }
        }
}

/* The command line, arguments separated by spaces ("[comm]" for a kernel thread or zombie). */
static char *read_args(int procfd, pid_t pid, const char *comm)
{
        cleanup_free char *name = xasprintf("%d/cmdline", (int)pid);
        cleanup_buf struct buf b = {0};
        cleanup_error struct rctr_error ignored = {0};

        buf_init(&b, PROC_MAX);
        if (fs_read_at(procfd, name, &b, &ignored) < 0 || b.len == 0)
                return xasprintf("[%s]", comm);
        for (size_t i = 0; i + 1 < b.len; i++)
                if (b.data[i] == '\0')
                        b.data[i] = ' ';
        return buf_detach(&b);
}

static int read_proc(struct top *t, pid_t pid, struct top_proc *p)
{
        cleanup_free char *stat_name = xasprintf("%d/stat", (int)pid),
                          *status_name = xasprintf("%d/status", (int)pid);
        cleanup_free char *stat = read_text(t->procfd, stat_name),
                          *status = read_text(t->procfd, status_name);

        *p = (struct top_proc){.hpid = pid, .pid = pid};
        if (!stat || !status || parse_stat(p, stat) < 0) {
                free(p->comm);
                return -ESRCH; /* gone meanwhile */
        }
        parse_status(p, status);
        p->args = read_args(t->procfd, pid, p->comm);
        return 0;
}

static int cmp_procs(const void *x, const void *y)
{
        const struct top_proc *a = x, *b = y;

        return (a->hpid > b->hpid) - (a->hpid < b->hpid);
}

/* The name of id in a passwd or group file's text ("name:x:id:..."); NULL when none. */
static char *name_of(const char *text, unsigned long id)
{
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                const char *end = strchr(l, '\n');
                char *stop = NULL;
                unsigned long v;

                if (!c2 || (end && c2 > end) || c1 == l)
                        continue;
                errno = 0;
                v = strtoul(c2 + 1, &stop, 10);
                if (!errno && stop != c2 + 1 && *stop == ':' && v == id)
                        return xstrndup(l, (size_t)(c1 - l));
        }
        return NULL;
}

static char *user_cell(const char *db, unsigned long id)
{
        char *name = db ? name_of(db, id) : NULL;

        return name ? name : xasprintf("%lu", id);
}

/* id as the host sees it, through our user namespace's map ("inside outside count" lines). */
static unsigned long host_id(const char *map, unsigned long id)
{
        for (const char *l = map; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                unsigned long in, out, count;

                if (sscanf(l, "%lu %lu %lu", &in, &out, &count) == 3 && id >= in && id - in < count)
                        return out + (id - in);
        }
        return 65534; /* the overflow id: not mapped */
}

/* A host pid of the container as its namespace numbers it; 0 for one outside it. */
static pid_t ns_pid(const struct top *t, pid_t hpid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].hpid == hpid)
                        return t->v[i].pid;
        return 0;
}

/* "pts/N" or "ttyN" from the stat's tty_nr, "?" without a terminal (as psgo). */
static char *tty_cell(uint64_t nr)
{
        unsigned major = (unsigned)((nr >> 8) & 0xfff);
        unsigned minor = (unsigned)((nr & 0xff) | ((nr >> 12) & 0xfff00));

        if (nr == 0)
                return xstrdup("?");
        if (major >= 136 && major <= 143)
                return xasprintf("pts/%u", minor + (major - 136) * 256);
        if (major == 4)
                return minor < 64 ? xasprintf("tty%u", minor) : xasprintf("ttyS%u", minor - 64);
        return xstrdup("?");
}

static char *cell(const struct top *t, const struct top_proc *p, const char *d)
{
        uint64_t started = t->hz > 0 ? p->start * (1000000000u / (uint64_t)t->hz) : 0;
        uint64_t elapsed = t->now_ns > started ? t->now_ns - started : 0;
        uint64_t cpu = t->hz > 0 ? p->ticks * (1000000000u / (uint64_t)t->hz) : 0;
        char text[64];

        if (streq(d, "args"))
                return xstrdup(p->args);
        if (streq(d, "comm"))
                return xstrdup(p->comm);
        if (streq(d, "etime") || streq(d, "time")) {
                engine_top_duration(streq(d, "etime") ? elapsed : cpu, text, sizeof(text));
                return xstrdup(text);
        }
        if (streq(d, "pcpu"))
                return xasprintf("%.3f", elapsed ? 100.0 * (double)cpu / (double)elapsed : 0.0);
        if (streq(d, "user") || streq(d, "ruser"))
                return user_cell(t->passwd, streq(d, "user") ? p->euid : p->ruid);
        if (streq(d, "group") || streq(d, "rgroup"))
                return user_cell(t->group, streq(d, "group") ? p->egid : p->rgid);
        if (streq(d, "huser"))
                return user_cell(t->hpasswd, host_id(t->uid_map, p->euid));
        if (streq(d, "hgroup"))
                return user_cell(t->hgroup, host_id(t->gid_map, p->egid));
        if (streq(d, "pid"))
                return xasprintf("%d", (int)p->pid);
        if (streq(d, "hpid"))
                return xasprintf("%d", (int)p->hpid);
        if (streq(d, "ppid"))
                return xasprintf("%d", (int)ns_pid(t, p->hppid));
        if (streq(d, "pgid"))
                return xasprintf("%d", (int)ns_pid(t, p->hpgid));
        if (streq(d, "nice"))
                return xasprintf("%lld", p->nice);
        if (streq(d, "state"))
                return xasprintf("%c", p->state);
        if (streq(d, "tty"))
                return tty_cell(p->tty);
        if (streq(d, "vsz"))
                return xasprintf("%" PRIu64, p->vsize / 1024);
        if (streq(d, "rss"))
                return xasprintf("%" PRIu64, p->rss * (uint64_t)sysconf(_SC_PAGESIZE) / 1024);
        if (streq(d, "seccomp"))
                return xstrdup(p->seccomp == 2   ? "filter"
                               : p->seccomp == 1 ? "strict"
                                                 : "disabled");
        return xstrdup("?");
}

/* The container's /etc/passwd or /etc/group, read inside its root; NULL when it has none. */
static char *container_file(int rootfd, const char *path)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_close int fd = rootfd >= 0 ? fs_open_in_root(rootfd, path, O_RDONLY, &ignored) : -1;
        cleanup_buf struct buf b = {0};

        buf_init(&b, PROC_MAX);
        if (fd < 0 || fs_read_fd(fd, &b, path, &ignored) < 0)
                return NULL;
        return buf_detach(&b);
}

static void top_clear(struct top *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->v[i].comm);
                free(t->v[i].args);
        }
        free(t->v);
        free(t->passwd);
        free(t->group);
        free(t->hpasswd);
        free(t->hgroup);
        free(t->uid_map);
        free(t->gid_map);
        closep(&t->procfd);
}

/* Everything the cells need: the processes, sorted by pid, and the id databases. */
static int top_load(struct top *t, pid_t init, struct rctr_error *err)
{
        json_auto_t *pids = engine_procs_list(init);
        cleanup_free char *root = xasprintf("/proc/%d/root", (int)init);
        cleanup_close int rootfd = -1, etcfd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct timespec now;
        json_t *pid;
        size_t i;

        t->procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->procfd < 0)
                return rctr_error_sys(err, errno, "open /proc");
        t->v = xreallocarray(NULL, json_array_size(pids) + 1, sizeof(*t->v));
        json_array_foreach(pids, i, pid)
                if (read_proc(t, (pid_t)json_integer_value(pid), &t->v[t->n]) == 0)
                        t->n++;
        if (t->n == 0)
                return rctr_error_set(err, ESRCH, "the container's processes are gone");
        qsort(t->v, t->n, sizeof(*t->v), cmp_procs);
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        t->passwd = container_file(rootfd, "/etc/passwd");
        t->group = container_file(rootfd, "/etc/group");
        t->hpasswd = etcfd >= 0 ? read_text(etcfd, "passwd") : NULL;
        t->hgroup = etcfd >= 0 ? read_text(etcfd, "group") : NULL;
        t->uid_map = read_text(t->procfd, "self/uid_map");
        t->gid_map = read_text(t->procfd, "self/gid_map");
        t->hz = sysconf(_SC_CLK_TCK);
        clock_gettime(CLOCK_BOOTTIME, &now);
        t->now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
        return 0;
}

int engine_top_table(pid_t init, char *const *descriptors, struct buf *out, struct rctr_error *err)
{
        struct top t = {.procfd = -1};
        int r = top_load(&t, init, err);

        for (char *const *d = descriptors; r >= 0 && *d; d++) {
                const struct desc *k = find_desc(*d);

                r = buf_appendf(out, "%s%s", k ? k->header : *d, d[1] ? "\t" : "\n");
        }
        for (size_t i = 0; r >= 0 && i < t.n; i++)
                for (char *const *d = descriptors; r >= 0 && *d; d++) {
                        cleanup_free char *c = cell(&t, &t.v[i], *d);

                        /* a command line may hold anything: no cell breaks the table */
                        for (char *q = c; *q; q++)
                                if (*q == '\t' || *q == '\n')
                                        *q = ' ';
                        r = buf_appendf(out, "%s%s", c, d[1] ? "\t" : "\n");
                }
        if (r == -EFBIG)
                r = rctr_error_set(err, EFBIG, "the process table is too long");
        top_clear(&t);
        return r;
}
