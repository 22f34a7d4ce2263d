/* The processes of a container, found through /proc: no cgroup needed. */
#pragma once

#include <sys/types.h>

#include <jansson.h>

struct rctr_error;

/*
 * Every process in the pid namespace of the container's init (host pids), or just the init
 * when it shares ours. A new reference to an array of integers.
 */
json_t *engine_procs_list(pid_t init);

/* Send sig to every process of engine_procs_list(), the init last. 0 or -errno with err set. */
int engine_procs_kill_all(pid_t init, int sig, struct rctr_error *err);
