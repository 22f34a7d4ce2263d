/*
 * Creating engine/tree.h entries below a directory that may belong to a container (`rctr cp`
 * into a container, or out of one onto the host). The directory is treated as an untrusted
 * root: an entry's parent is resolved inside it (openat2 RESOLVE_IN_ROOT, lib/fs.h), so neither
 * a symlink already there (l -> /, l -> ../../..) nor one the stream itself creates can lead
 * a write out of it; the last component is never followed.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct engine_tree_create;
struct engine_tree_sink;
struct rctr_error;

enum engine_tree_owner {
        ENGINE_TREE_OWNER_NONE, /* whoever creates it (the caller) owns it */
        ENGINE_TREE_OWNER_KEEP, /* the entry's ids; where the user namespace cannot map them the
                                   file stays the caller's */
        ENGINE_TREE_OWNER_SET,  /* uid and gid below, for everything created */
};

struct engine_tree_create_opts {
        enum engine_tree_owner owner;
        uid_t uid;      /* ENGINE_TREE_OWNER_SET */
        gid_t gid;      /* ENGINE_TREE_OWNER_SET */
        bool devices;   /* create device nodes (else they are skipped, with one warning) */
        bool overwrite; /* replace a directory by a non-directory and the reverse (else refused) */
};

/*
 * Start creating entries below rootfd (borrowed, a directory; it must outlive the result).
 * Returns the new state (owned); it cannot fail.
 */
struct engine_tree_create *engine_tree_create_new(int rootfd,
                                                  const struct engine_tree_create_opts *o);

/* The sink that creates each entry (valid while c lives). */
struct engine_tree_sink engine_tree_create_sink(struct engine_tree_create *c);

/*
 * Give the directories created their modes and times, which wait until their contents are in
 * (a 0555 directory could not be filled, and every file made changes the mtime). Returns 0 or
 * -errno with err set.
 */
int engine_tree_create_finish(struct engine_tree_create *c, struct rctr_error *err);

void engine_tree_create_free(struct engine_tree_create *c);
static inline void engine_tree_create_freep(struct engine_tree_create **c)
{
        engine_tree_create_free(*c);
}
