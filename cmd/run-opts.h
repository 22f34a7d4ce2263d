/* The flags of `rctr run` and `rctr create` (podman's), parsed into engine_run_flags and ours. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/container-spec.h"

struct cmd_global;
struct rctr_error;

struct cmd_run_opts {
        struct engine_run_flags f; /* string lists below are owned here */
        const char *image;
        bool detach, rm, quiet, sig_proxy, init_given;
        bool read_only_tmpfs_given;
        const char *name, *pull, *platform, *tls_verify, *cidfile, *log_driver, *detach_keys;
        const char *restart, *network;
        int stop_timeout; /* -1: the default (10) */
        char **env_files;
        uint64_t log_size_max; /* --log-opt max-size: bytes; 0: no cap */
        int argc;              /* the command line, for inspect's CreateCommand */
        char **argv;
};

void cmd_run_opts_clear(struct cmd_run_opts *o);

/*
 * Parse argv (argv[0] is "run" or "create"). Returns 1 after --help (the command returns 0),
 * 0 with o filled (o->image and o->f.command point into argv), or -EINVAL with err set.
 */
int cmd_run_opts_parse(struct cmd_global *g, int argc, char **argv, bool create,
                       struct cmd_run_opts *o, struct rctr_error *err);
