/*
 * The last resort of `rctr system reset`, which must work when container records are damaged:
 * kill whatever a container directory's state.json says still runs (whether or not its
 * container.json can be read), and detach every mount below the store and the runroot, so that
 * their content can be removed.
 */
#pragma once

/*
 * SIGKILL the monitor and the init of every container directory under ctrsfd (including the
 * .new-/.rm- ones of killed commands) whose state.json names processes of this boot that still
 * run (their start times match), and wait up to timeout_ms for them to be gone.
 */
void engine_containers_kill_all(int ctrsfd, int timeout_ms);

/*
 * Detach every mount at or below path (deepest first, as /proc/self/mountinfo lists them in
 * our mount namespace). Returns how many could not be detached.
 */
unsigned engine_unmount_below(const char *path);
