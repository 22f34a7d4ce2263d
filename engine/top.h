/*
 * `rctr top`: the processes of a container as podman shows them (its psgo descriptors), read
 * from /proc: every process in the pid namespace of the container's init (engine/procs.h).
 * Pids are those of the container's namespace, user and group names come from the container's
 * own /etc/passwd and /etc/group (through /proc/PID/root, resolved inside it), times are Go
 * durations ("1m2.5s") as podman prints them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct rctr_error;

/* podman's default columns: USER PID PPID %CPU ELAPSED TTY TIME COMMAND. */
extern const char *const engine_top_default[];

/* Every descriptor top knows, sorted (for --list-descriptors), NULL-terminated. */
extern const char *const engine_top_descriptors[];

/*
 * The descriptors the user gave: each argument a name ("pid", "args") or an AIX code ("%p"),
 * or several separated by commas. Returns 0 with *ret (a new strv of names) or -EINVAL with err
 * "unknown descriptor: X".
 */
int engine_top_parse(const char *const *args, size_t n, char ***ret, struct rctr_error *err);

/*
 * Go's time.Duration.String() of ns nanoseconds (>= 0): "0s", "850ms", "1.5s", "2m0.25s",
 * "1h0m0s". Writes at most size bytes to out (pure).
 */
void engine_top_duration(uint64_t ns, char *out, size_t size);

/*
 * The table for the container whose init is pid (host pid): a header row, then a row per
 * process, cells separated by tabs (a tab or newline in a cell becomes a space), rows ended by
 * newlines; appended to out. Returns 0 or -errno with err set (-ESRCH: the container's processes
 * are gone, -EFBIG: past out's cap).
 */
int engine_top_table(pid_t init, char *const *descriptors, struct buf *out, struct rctr_error *err);
