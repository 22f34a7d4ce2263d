/* The last steps in the container's init before exec: identity, limits, privileges. */
#pragma once

struct engine_process;
struct engine_seccomp;
struct rctr_error;

/*
 * Before anything is made: an AppArmor profile or SELinux label is set only where that module is
 * enabled (an error naming it otherwise, rather than a container less confined than asked).
 */
int engine_process_check_lsm(const struct engine_process *p, struct rctr_error *err);

/*
 * Apply rlimits, oomScoreAdj, umask, the user (groups, gid, uid) and the five capability sets,
 * set no_new_privs and enter cwd. Without no_new_privs the seccomp filter (NULL: none) is loaded
 * here, while we still hold CAP_SYS_ADMIN. Returns 0 or -errno with err set.
 */
int engine_process_prepare(const struct engine_process *p, const struct engine_seccomp *seccomp,
                           struct rctr_error *err);

/*
 * In the container, as its user: the program args[0] names, looked up in the PATH of the
 * process's environment. *ret_path owned. Before start, so that create fails (with runc's
 * wording, err->exit_status 127 or 126) rather than a process nobody watches.
 */
int engine_process_find(const struct engine_process *p, char **ret_path, struct rctr_error *err);

/*
 * Execute path with args and env, loading the seccomp filter first when no_new_privs is set.
 * Returns only on failure: -errno with err set and err->exit_status 127 or 126.
 */
int engine_process_execve(const struct engine_process *p, const char *path,
                          const struct engine_seccomp *seccomp, struct rctr_error *err);
