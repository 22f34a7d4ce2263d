#include <config.h>
#include "process.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"
#include "seccomp.h"
#include "spec.h"

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}

static int last_cap(void)
{
        char text[16] = "";
        cleanup_close int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        uint64_t v;
        ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;

        if (n > 0 && text[n - 1] == '\n')
                text[n - 1] = '\0';
        return n > 0 && parse_u64_max(text, 63, &v) == 0 ? (int)v : CAP_LAST_CAP;
}

static int set_rlimits(const struct engine_process *p, struct rctr_error *err)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};

                if (setrlimit(p->rlimits[i].resource, &rl) < 0)
                        return rctr_error_sys(
                                err, errno, "set rlimit %d to %llu/%llu", p->rlimits[i].resource,
                                (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
        }
        return 0;
}

/* Become the configured user; capabilities survive the uid change, to be set just after. */
static int set_user(const struct engine_process *p, struct rctr_error *err)
{
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return rctr_error_sys(err, errno, "keep capabilities");
        /* supplementary groups first: after setuid we may no longer change them */
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0 &&
            (errno != EPERM || p->n_additional_gids > 0)) /* EPERM: setgroups is "deny" here */
                return rctr_error_sys(err, errno, "set additional groups");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return rctr_error_sys(err, errno, "set gid %u", p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return rctr_error_sys(err, errno, "set uid %u", p->uid);
        return 0;
}

/* The bounding set limits what any later exec can gain: drop all not listed, while still root. */
static int drop_bounding(const struct engine_process *p, struct rctr_error *err)
{
        int last = last_cap();

        for (int c = 0; c <= last; c++)
                if (!(p->caps[ENGINE_CAP_BOUNDING] & (UINT64_C(1) << c)) &&
                    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return rctr_error_sys(err, errno,
                                              "drop capability %d from the bounding set", c);
        return 0;
}

/* After the uid change: KEEPCAPS kept the permitted set, from which these are chosen. */
static int set_caps(const struct engine_process *p, struct rctr_error *err)
{
        CLEANUP(cap_freep) cap_t caps = cap_init();
        int last = last_cap();

        for (int c = 0; c <= last; c++) {
                cap_value_t v = c;

                if (p->caps[ENGINE_CAP_EFFECTIVE] & (UINT64_C(1) << c))
                        cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
                if (p->caps[ENGINE_CAP_PERMITTED] & (UINT64_C(1) << c))
                        cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
                if (p->caps[ENGINE_CAP_INHERITABLE] & (UINT64_C(1) << c))
                        cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
        }
        if (cap_set_proc(caps) < 0)
                return rctr_error_sys(err, errno, "set capabilities");
        /*
         * Ambient capabilities survive exec of unprivileged binaries (Linux 4.3). The kernel
         * takes only those both permitted and inheritable; runc's default spec lists ambient
         * ones without inheritable, and runc skips them too.
         */
        (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for (int c = 0; c <= last; c++) {
                uint64_t bit = UINT64_C(1) << c;

                if (!(p->caps[ENGINE_CAP_AMBIENT] & bit))
                        continue;
                if (!(p->caps[ENGINE_CAP_INHERITABLE] & bit) ||
                    !(p->caps[ENGINE_CAP_PERMITTED] & bit)) {
                        log_debug("ambient capability %d is not inheritable and permitted, "
                                  "skipped",
                                  c);
                        continue;
                }
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return rctr_error_sys(err, errno, "raise ambient capability %d", c);
        }
        return 0;
}

static int set_oom_score_adj(const struct engine_process *p, struct rctr_error *err)
{
        char text[16];

        if (!p->has_oom_score_adj)
                return 0;
        snprintf(text, sizeof(text), "%d", p->oom_score_adj);
        return fs_write_string_at(AT_FDCWD, "/proc/self/oom_score_adj", text, err);
}

static bool apparmor_enabled(void)
{
        char c = 0;
        cleanup_close int fd =
                open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);

        return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

static bool selinux_enabled(void)
{
        return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int engine_process_check_lsm(const struct engine_process *p, struct rctr_error *err)
{
        if (p->apparmor_profile && p->apparmor_profile[0] && !apparmor_enabled())
                return rctr_error_set(err, EOPNOTSUPP,
                                      "process.apparmorProfile %s: AppArmor is not enabled on "
                                      "this host (remove the profile)",
                                      p->apparmor_profile);
        if (p->selinux_label && p->selinux_label[0] && !selinux_enabled())
                return rctr_error_set(err, EOPNOTSUPP,
                                      "process.selinuxLabel %s: SELinux is not enabled on this "
                                      "host (remove the label)",
                                      p->selinux_label);
        return 0;
}

/* The security modules switch to the profile/label at the next exec: ours, of the command. */
static int set_lsm(const struct engine_process *p, struct rctr_error *err)
{
        int r;

        if (p->apparmor_profile && p->apparmor_profile[0]) {
                cleanup_free char *text = xasprintf("exec %s", p->apparmor_profile);

                r = fs_write_string_at(AT_FDCWD, "/proc/self/attr/apparmor/exec", text, err);
                if (r == -ENOENT) { /* before Linux 5.8: the shared attribute */
                        rctr_error_clear(err);
                        r = fs_write_string_at(AT_FDCWD, "/proc/self/attr/exec", text, err);
                }
                if (r < 0)
                        return rctr_error_prefix(err, "set AppArmor profile %s",
                                                 p->apparmor_profile);
        }
        if (p->selinux_label && p->selinux_label[0]) {
                r = fs_write_string_at(AT_FDCWD, "/proc/self/attr/exec", p->selinux_label, err);
                if (r < 0)
                        return rctr_error_prefix(err, "set SELinux label %s", p->selinux_label);
        }
        return 0;
}

int engine_process_prepare(const struct engine_process *p, const struct engine_seccomp *seccomp,
                           struct rctr_error *err)
{
        int r = set_rlimits(p, err);

        if (r >= 0)
                r = set_oom_score_adj(p, err);
        if (r < 0)
                return r;
        if (p->has_umask)
                umask(p->umask);
        r = set_lsm(p, err);
        if (r < 0)
                return r;
        if (chdir(p->cwd) < 0)
                return rctr_error_sys(err, errno, "enter working directory %s", p->cwd);
        /*
         * Without no_new_privs the kernel takes a filter only from a holder of CAP_SYS_ADMIN:
         * load it now, while we are still root (runc's order); the steps below must pass it.
         */
        if (!p->no_new_privileges) {
                r = engine_seccomp_load(seccomp, err);
                if (r < 0)
                        return r;
        }
        r = drop_bounding(p, err);
        if (r >= 0)
                r = set_user(p, err);
        if (r >= 0)
                r = set_caps(p, err);
        if (r < 0)
                return r;
        /* After this no exec can gain privileges: setuid bits and file caps stop working. */
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return rctr_error_sys(err, errno, "set no_new_privs");
        return 0;
}

/* Whether path is a file we could execute (as the user we now are). */
static int check_executable(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EACCES;
        return access(path, X_OK) < 0 ? -errno : 0;
}

/* PATH of the container's environment, or the default of runc and execvp. */
static const char *process_path(const struct engine_process *p)
{
        for (char **e = p->env; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        return *e + 5;
        return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

int engine_process_find(const struct engine_process *p, char **ret_path, struct rctr_error *err)
{
        const char *cmd = p->args[0], *path = process_path(p);
        int r = -ENOENT, first = 0;

        if (strchr(cmd, '/')) {
                r = check_executable(cmd);
                if (r == 0) {
                        *ret_path = xstrdup(cmd);
                        return 0;
                }
                /* the wording of runc, which podman reads to choose 126 or 127 */
                err->exit_status = (r == -ENOENT || r == -ENOTDIR) ? 127 : 126;
                return r == -ENOENT
                               ? rctr_error_set(err, ENOENT,
                                                "exec: \"%s\": stat %s: no such file or "
                                                "directory",
                                                cmd, cmd)
                               : rctr_error_set(err, -r, "exec: \"%s\": %s", cmd,
                                                r == -EACCES ? "permission denied" : strerror(-r));
        }
        for (const char *dir = path; dir; dir = strchr(dir, ':') ? strchr(dir, ':') + 1 : NULL) {
                size_t len = strcspn(dir, ":");
                cleanup_free char *cand = xasprintf("%.*s/%s", (int)len, len ? dir : ".", cmd);

                r = check_executable(cand);
                if (r == 0) {
                        *ret_path = TAKE_PTR(cand);
                        return 0;
                }
                if (r == -EACCES && !first)
                        first = r;
        }
        err->exit_status = first ? 126 : 127;
        return first ? rctr_error_set(err, EACCES, "exec: \"%s\": permission denied", cmd)
                     : rctr_error_set(err, ENOENT,
                                      "exec: \"%s\": executable file not found in $PATH", cmd);
}

/*
 * What a command may inherit from whoever started the runtime and must not: blocked signals (a
 * foreground rctr run blocks the ones it forwards, and its monitor is its fork) and ignored ones
 * (exec keeps SIG_IGN: a shell script's background job ignores SIGINT).
 */
static void reset_signals(void)
{
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)signal(sig, SIG_DFL);
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

int engine_process_execve(const struct engine_process *p, const char *path,
                          const struct engine_seccomp *seccomp, struct rctr_error *err)
{
        reset_signals();
        /* with no_new_privs set, the filter comes last: it then needs to allow only execve */
        if (p->no_new_privileges) {
                int r = engine_seccomp_load(seccomp, err);

                if (r < 0)
                        return r;
        }
        execve(path, p->args, p->env);
        err->exit_status = (errno == ENOENT || errno == ENOTDIR) ? 127 : 126;
        return rctr_error_sys(err, errno, "exec: \"%s\"", p->args[0]);
}
