/*
 * The container's time namespace. CLONE_NEWTIME shares clone()'s exit-signal bits, so the init
 * unshares it itself: a time namespace is entered by the children of whoever made it, and by
 * that process at its next execve, which is when the container's command starts in it. The
 * offsets (linux.timeOffsets) must be written before any process is inside.
 */
#pragma once

struct engine_spec;
struct rctr_error;

/* Check linux.timeOffsets. Returns 0 or -EBADMSG with err naming the clock. */
int engine_timens_check(const struct engine_spec *spec, struct rctr_error *err);

/*
 * In the init, in its user namespace: when spec wants a new time namespace, unshare it and apply
 * linux.timeOffsets (one joined by path was entered with the other namespaces). 0 or -errno.
 */
int engine_timens_setup(const struct engine_spec *spec, struct rctr_error *err);
