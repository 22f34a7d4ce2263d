/*
 * `rctr pull`: resolve a name (short names through registries.conf), talk to the registry
 * (credentials from auth.json), choose the platform, verify every byte, unpack each layer once
 * into the store and record the image. Layers download in parallel; those in the store already
 * are not downloaded again.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct image_platform;
struct storage_store;
struct storage_unpack_opts;
struct rctr_error;

struct image_pull_opts {
        const char *authfile; /* --authfile, or NULL: the usual places */
        const char *creds;    /* --creds USER:PASS, or NULL */
        int tls_verify;       /* --tls-verify: -1 as registries.conf says, 0 off, 1 on */
        const struct image_platform *platform; /* NULL: this host's */
        FILE *progress;    /* where to say what happens (stderr), NULL: nothing */
        bool have_tty;     /* short names: never prompt, but ambiguity is an error without */
        unsigned parallel; /* layers at once; 0: 3 */
        const struct storage_unpack_opts *unpack;
};

/*
 * Pull name into the store s. *ret_id (owned) is the image id: its config's digest. Returns 0
 * or -errno with err one line naming what failed ("pull docker.io/library/x:latest: manifest
 * unknown (HTTP 404)"). Nothing half-made stays in the store on failure.
 */
int image_pull(struct storage_store *s, const char *name, const struct image_pull_opts *o,
               char **ret_id, struct rctr_error *err);
