#include <config.h>
#include "procs.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

static bool same_pid_ns(pid_t pid, const struct stat *ns)
{
        cleanup_free char *path = xasprintf("/proc/%d/ns/pid", (int)pid);
        struct stat st;

        return stat(path, &st) == 0 && st.st_ino == ns->st_ino && st.st_dev == ns->st_dev;
}

/* Every process in the pid namespace of the container's init (just the init without one). */
json_t *engine_procs_list(pid_t init)
{
        cleanup_free char *path = xasprintf("/proc/%d/ns/pid", (int)init);
        json_t *pids = json_array();
        cleanup_dir DIR *d = opendir("/proc");
        struct stat ns, self;
        struct dirent *de;

        if (stat(path, &ns) < 0)
                return pids;
        if (stat("/proc/self/ns/pid", &self) == 0 && self.st_ino == ns.st_ino) {
                json_array_append_new(pids, json_integer(init));
                return pids;
        }
        while (d && (de = readdir(d))) {
                uint64_t pid;

                if (parse_u64_max(de->d_name, INT32_MAX, &pid) == 0 && same_pid_ns((pid_t)pid, &ns))
                        json_array_append_new(pids, json_integer((json_int_t)pid));
        }
        return pids;
}

int engine_procs_kill_all(pid_t init, int sig, struct rctr_error *err)
{
        json_auto_t *pids = engine_procs_list(init);
        json_t *pid;
        size_t i;

        /* the others first: a dying init would take them along before they saw sig */
        json_array_foreach(pids, i, pid)
                if ((pid_t)json_integer_value(pid) != init)
                        (void)kill((pid_t)json_integer_value(pid), sig); /* gone: fine */
        if (kill(init, sig) < 0 && errno != ESRCH)
                return rctr_error_sys(err, errno, "send signal %d to %d", sig, (int)init);
        return 0;
}
