/*
 * The insides of struct image_regconf, shared by registries-conf.c (one file),
 * registries-load.c (which files, merged how) and registries-lookup.c (questions asked of it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image/registries-conf.h"

struct rctr_error;

/* Lookups are linear; these bound the work a hostile set of drop-ins can cause. */
#define REGCONF_MAX_REGISTRIES 1024
#define REGCONF_MAX_ALIASES    16384

enum regconf_mirror_use {
        REGCONF_MIRROR_ALL, /* pull-from-mirror unset or "all" */
        REGCONF_MIRROR_DIGEST_ONLY,
        REGCONF_MIRROR_TAG_ONLY,
};

struct regconf_registry {
        char *prefix;   /* owned; the location when the file gave none */
        char *location; /* owned; NULL for a "*.example.com" prefix without one */
        bool insecure, blocked, mirror_by_digest_only;
        char **mirrors;                      /* owned, NULL-terminated locations */
        bool *mirror_insecure;               /* owned, n_mirrors */
        enum regconf_mirror_use *mirror_use; /* owned, n_mirrors */
        size_t n_mirrors;
        char *origin; /* owned: the file */
        unsigned line;
};

struct regconf_alias {
        char *name;  /* owned: the short name */
        char *value; /* owned: the fully-qualified name; NULL: erased by a later file */
        char *origin;
};

struct image_regconf {
        char **search;       /* owned, NULL-terminated; NULL while no file set it */
        char *search_origin; /* owned: the file that set it; NULL for the built-in default */
        enum image_shortname_mode mode;
        bool mode_set;
        struct regconf_registry *registries; /* owned, sorted by prefix, prefixes unique */
        size_t n_registries;
        struct regconf_alias *aliases; /* owned, names unique */
        size_t n_aliases;
};

/*
 * Read and check one file (main_file: the version 1 format is allowed) into *ret (owned).
 * Returns 0, -ENOENT when it does not exist, or -errno with err set ("<path>:<line>: ...").
 */
int regconf_read(const char *path, bool main_file, struct image_regconf **ret,
                 struct rctr_error *err);

/* Append *reg to c->registries, taking its contents. -EFBIG past REGCONF_MAX_REGISTRIES. */
int regconf_registries_add(struct image_regconf *c, const char *path, struct regconf_registry *reg,
                           struct rctr_error *err);

/* Free the fields and zero the struct. */
void regconf_registry_clear(struct regconf_registry *r);
void regconf_alias_clear(struct regconf_alias *a);

/* The alias of a short name (without tag or digest), or NULL. */
struct regconf_alias *regconf_alias_find(const struct image_regconf *c, const char *name);
