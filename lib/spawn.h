/* Run a system helper (newuidmap, fuse-overlayfs, ...) from an argv array: no shell, no PATH. */
#pragma once

struct buf;
struct rctr_error;

/*
 * Run argv[0] (an absolute path) with argv, a closed fd table (stdin and stdout on /dev/null)
 * and a fixed minimal environment. The helper's stderr is collected into err_out (capped by
 * err_out->max; the rest is dropped). Returns the exit status (>= 0; 128+N if killed by signal
 * N), or -errno with err set when the helper could not be started.
 */
int spawn_run(char *const argv[], struct buf *err_out, struct rctr_error *err);

/* Find an executable in $PATH (or a default path). Returns an owned path or NULL. */
char *spawn_find_in_path(const char *name);

/* Close every fd >= lowfd (close_range, else a loop). Async-signal-safe: for forked children. */
void spawn_close_from(int lowfd);
