/*
 * The containers ecosystem's registries.conf (containers-registries.conf(5), version 2, and the
 * deprecated version 1 in the main file) with its drop-ins (containers-registries.conf.d(5)):
 * short-name search list and aliases, and per-registry insecure/blocked/location/mirrors.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct image_ref;
struct rctr_error;

struct image_regconf; /* opaque */

/* A file larger than this is refused: real ones are a few KiB (Fedora's aliases: ~20 KiB). */
#define IMAGE_REGCONF_FILE_MAX    (1024 * 1024)
#define IMAGE_REGCONF_MAX_DROPINS 1024

/*
 * The files to read, in order, per containers-registries.conf.d(5): when
 * user_dir/registries.conf exists it replaces the system file and only the drop-ins of
 * user_dir/registries.conf.d follow it; otherwise system_dir/registries.conf, the drop-ins of
 * system_dir/registries.conf.d, then those of user_dir/registries.conf.d. Drop-ins are the
 * files named "*.conf" of a directory, sorted by name; other names and subdirectories are
 * skipped, a missing directory is fine. user_dir may be NULL.
 * Returns 0 and *ret (owned, NULL-terminated), or -errno with err set (unreadable directory,
 * more than IMAGE_REGCONF_MAX_DROPINS drop-ins: -EFBIG).
 */
int image_regconf_paths(const char *system_dir, const char *user_dir, char ***ret,
                        struct rctr_error *err);

/*
 * Load the files of image_regconf_paths("/etc/containers", "$XDG_CONFIG_HOME/containers"),
 * XDG_CONFIG_HOME defaulting to ~/.config. Returns as image_regconf_load_files().
 */
int image_regconf_load_default(struct image_regconf **ret, struct rctr_error *err);

/*
 * Load paths (NULL-terminated) in order: the first is the main file (which may use the
 * version 1 format), each later one is a drop-in merged on top as containers-registries.conf.d(5)
 * says: a key it sets replaces the earlier value, [[registry]] tables replace those with the same
 * prefix, [aliases] entries replace (or, set to "", erase) those of the same name. Missing files
 * are skipped. Returns 0 and *ret (owned, image_regconf_free()), or -errno with err set:
 * -EBADMSG for a malformed file ("<path>:<line>: <what>"), -EFBIG for an oversized one, or the
 * errno of a file that could not be read.
 */
int image_regconf_load_files(char **paths, struct image_regconf **ret, struct rctr_error *err);

void image_regconf_free(struct image_regconf *c);

static inline void image_regconf_freep(struct image_regconf **c)
{
        if (*c)
                image_regconf_free(*c);
}
#define cleanup_regconf __attribute__((cleanup(image_regconf_freep)))

/*
 * unqualified-search-registries (borrowed, NULL-terminated; may be empty when a file set []).
 * When no file sets it: {"docker.io"}, so that `alpine` is docker.io/library/alpine:latest as
 * docker users expect.
 */
char **image_regconf_search(const struct image_regconf *c);

enum image_shortname_mode {
        IMAGE_SHORTNAME_ENFORCING,
        IMAGE_SHORTNAME_PERMISSIVE,
        IMAGE_SHORTNAME_DISABLED,
};

/* short-name-mode; permissive when no file sets it, as documented. */
enum image_shortname_mode image_regconf_shortname_mode(const struct image_regconf *c);

/* One [[registry]] table as it applies to a name. All pointers are borrowed from the config. */
struct image_registry_info {
        const char *prefix;   /* the matching prefix ("quay.io", "*.example.com"); NULL: none */
        const char *location; /* where the prefix really lives; NULL: no rewrite */
        bool insecure, blocked;
        char **mirrors;        /* mirror locations, in the order to try (NULL-terminated) */
        bool *mirror_insecure; /* per mirror */
        size_t n_mirrors;
        const char *origin; /* the file that defined the table */
};

/*
 * The [[registry]] table for name, a fully-qualified "host[:port]/repo[:tag|@digest]": the one
 * with the longest matching prefix, a prefix matching when name continues after it with
 * ':', '/', '@' or ends; "*.example.com" matches any subdomain of example.com. Returns 1 with
 * *ret filled, or 0 when no table matches (*ret then says: no prefix, secure, not blocked, no
 * mirrors).
 */
int image_regconf_lookup(const struct image_regconf *c, const char *name,
                         struct image_registry_info *ret);

struct image_pull_source {
        char *name;    /* owned: the reference to pull, rewritten to a mirror or location */
        bool insecure; /* allow plain HTTP and unverified TLS for it */
};

/*
 * Where to pull the fully-qualified ref from, in order: the mirrors that apply (all, only for
 * digests with mirror-by-digest-only, or per pull-from-mirror), then the primary location.
 * Returns the number of sources (>= 1) and *ret (owned, image_pull_sources_free()); -EACCES
 * when the registry is blocked; -EINVAL when ref is not fully qualified or a rewritten name is
 * not a valid reference.
 */
int image_regconf_pull_sources(const struct image_regconf *c, const struct image_ref *ref,
                               struct image_pull_source **ret, struct rctr_error *err);

void image_pull_sources_free(struct image_pull_source *v, size_t n);

/*
 * The fully-qualified references to try for ref, in order (owned, NULL-terminated; tag and
 * digest of ref kept, ":latest" when neither). A qualified ref is returned as it is. A short name
 * resolves through [aliases] when one matches; otherwise through the search list, each
 * registry qualifying it (docker.io adding "library/"). With several candidates and
 * short-name-mode enforcing, no TTY is an error (-EINVAL): short name "alpine" is ambiguous: it
 * could be docker.io/library/alpine or quay.io/alpine; use a fully qualified name. This never
 * prompts: with have_tty, all candidates are returned and the caller may ask the user to pick
 * one. An empty search list without an alias is -ENOENT.
 */
int image_regconf_resolve_short(const struct image_regconf *c, const struct image_ref *ref,
                                bool have_tty, char ***ret, struct rctr_error *err);
