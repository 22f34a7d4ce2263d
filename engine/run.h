/* Running a container from a bundle in the foreground: `rctr-oci run` without --detach. */
#pragma once

struct engine_spec;
struct rctr_error;

struct engine_run_opts {
        const char *bundle;   /* absolute path of the bundle directory */
        const char *pid_file; /* NULL, or where to write the container's pid */
};

/*
 * Clone the container's init into the namespaces spec asks for, map its ids, set up its mounts
 * and process, wait for it and return its exit status (128+N when killed by signal N); signals
 * sent to us are forwarded to it. Returns -errno with err set when the container could not be
 * started (err->exit_status 126/127 when its command could not be executed).
 */
int engine_run(const struct engine_run_opts *opts, const struct engine_spec *spec,
               struct rctr_error *err);
