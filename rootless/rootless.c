#include <config.h>
#include "rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "helper.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "pause.h"
#include "subid.h"

static int read_self_map(const char *name, struct buf *out)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_close int fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return fs_read_at(fd, name, out, &err);
}

bool rootless_in_userns(void)
{
        cleanup_buf struct buf map = {0};
        unsigned long a, b, c;

        buf_init(&map, 64 * 1024);
        /* The initial namespace maps everything: exactly "0 0 4294967295". */
        if (read_self_map("uid_map", &map) < 0)
                return false;
        return !(sscanf(map.data, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 &&
                 c == 4294967295UL && !strchr(strchr(map.data, '\n') + 1, '\n'));
}

bool rootless_is_rootless(void)
{
        return geteuid() != 0 || rootless_in_userns();
}

static bool self_map_single(const char *name)
{
        cleanup_buf struct buf map = {0};
        char *nl;

        buf_init(&map, 64 * 1024);
        if (read_self_map(name, &map) < 0)
                return false;
        nl = strchr(map.data, '\n');
        return !nl || nl[1] == '\0';
}

bool rootless_single_mapping(void)
{
        return self_map_single("uid_map") || self_map_single("gid_map");
}

static int user_name(uid_t uid, char **ret_name)
{
        struct passwd pw, *res = NULL;
        char scratch[4096];

        if (getpwuid_r(uid, &pw, scratch, sizeof(scratch), &res) != 0 || !res)
                return -ENOENT;
        *ret_name = xstrdup(res->pw_name);
        return 0;
}

static void warn_single_mapping(uid_t host_uid)
{
        cleanup_free char *user = NULL;
        bool no_uids = self_map_single("uid_map"), no_gids = self_map_single("gid_map");

        if (!no_uids && !no_gids)
                return;
        if (user_name(host_uid, &user) < 0)
                user = xasprintf("%u", (unsigned)host_uid);

        log_warn("no %s range for %s in %s: using a single-id mapping (only uid 0 exists in "
                 "containers; images that use other ids fail); to add one: sudo usermod "
                 "--add-subuids 100000-165535 --add-subgids 100000-165535 %s",
                 no_uids && no_gids ? "subuid/subgid"
                 : no_uids          ? "subuid"
                                    : "subgid",
                 user,
                 no_uids && no_gids ? "/etc/subuid and /etc/subgid"
                 : no_uids          ? "/etc/subuid"
                                    : "/etc/subgid",
                 user);
}

/* Work out the mapping: the user's subordinate ranges through newuidmap/newgidmap. */
static int plan_make(struct rootless_plan *plan, struct rctr_error *err)
{
        cleanup_free char *user = NULL;
        int r;

        plan->uid = getuid();
        plan->gid = getgid();
        if (user_name(plan->uid, &user) < 0)
                user = xasprintf("%u", plan->uid);

        r = rootless_subid_get(ROOTLESS_ID_UID, user, plan->uid, &plan->uids, err);
        if (r >= 0)
                r = rootless_subid_get(ROOTLESS_ID_GID, user, plan->uid, &plan->gids, err);
        if (r < 0)
                return r;

        if (plan->uids.n > 0) {
                r = rootless_helper_find("newuidmap", &plan->newuidmap, err);
                if (r < 0)
                        return r;
        }
        if (plan->gids.n > 0) {
                r = rootless_helper_find("newgidmap", &plan->newgidmap, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Under the pause lock: someone may have created it while we waited; else create it. */
static int enter_locked(int rundirfd, struct rctr_error *err)
{
        CLEANUP(rootless_plan_clear) struct rootless_plan plan = {0};
        cleanup_close int lockfd = -1;
        int r, pid;

        lockfd = openat(rundirfd, "pause.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lockfd < 0)
                return rctr_error_sys(err, errno, "open pause.lock");
        if (RETRY_EINTR(flock(lockfd, LOCK_EX)) < 0)
                return rctr_error_sys(err, errno, "lock pause.lock");

        r = rootless_pause_join(rundirfd, err);
        if (r != -ESRCH)
                return r;

        r = plan_make(&plan, err);
        if (r < 0)
                return r;
        pid = rootless_pause_create(rundirfd, &plan, err);
        if (pid < 0)
                return pid;
        r = rootless_pause_join(rundirfd, err);
        if (r == -ESRCH)
                return rctr_error_set(err, ESRCH, "pause process %d exited at once", pid);
        return r;
}

int rootless_enter(const char *runtime_dir, struct rctr_error *err)
{
        cleanup_close int runfd = -1, rundirfd = -1;
        uid_t host_uid = getuid(); /* 0 once inside: remember who we are on the host */
        int r;

        if (!rootless_is_rootless())
                return 0; /* real root needs no user namespace */
        if (geteuid() == 0)
                return 0; /* already uid 0 of a user namespace: nothing to join */

        runfd = open(runtime_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (runfd < 0)
                return rctr_error_sys(err, errno, "open runtime directory %s", runtime_dir);
        rundirfd = fs_mkdir_open_at(runfd, "rctr", 0700, err);
        if (rundirfd < 0)
                return rctr_error_prefix(err, "%s", runtime_dir);

        /* Fast path without the lock: the pause process normally exists already. */
        r = rootless_pause_join(rundirfd, err);
        if (r == -ESRCH)
                r = enter_locked(rundirfd, err);
        if (r < 0)
                return r;
        warn_single_mapping(host_uid);
        return 1;
}
