/* The last steps in the container's init before exec: identity, limits, privileges. */
#pragma once

struct engine_process;
struct rctr_error;

/*
 * Apply rlimits, oomScoreAdj, umask, the user (groups, gid, uid) and the five capability sets,
 * set no_new_privs, enter cwd and execute args with env. Returns only on failure: -errno with
 * err set and err->exit_status 127 (not found) or 126 (cannot execute) for exec errors.
 */
int engine_process_exec(const struct engine_process *p, struct rctr_error *err);
