/*
 * File trees as a stream of entries, for `rctr cp` and `rctr export`. A walk of a directory
 * (engine/tree-walk.h) or a tar read from a pipe (engine/tree-tar.h) produces entries; a tar
 * writer (engine/tree-tar.h) or the creation of the files below a directory
 * (engine/tree-create.h) consumes them. A directory's entry always comes before what it holds,
 * so a consumer can create a tree in one pass.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct rctr_error;

/* Directories below this many levels are refused (-EFBIG): a walk holds one fd per level. */
#define ENGINE_TREE_MAX_DEPTH 256

enum engine_tree_kind {
        ENGINE_TREE_DIR,
        ENGINE_TREE_FILE,
        ENGINE_TREE_SYMLINK,
        ENGINE_TREE_HARDLINK, /* another name of an earlier FILE entry */
        ENGINE_TREE_FIFO,
        ENGINE_TREE_CHAR,
        ENGINE_TREE_BLOCK,
};

struct engine_tree_entry {
        const char *path; /* relative, clean ("a/b"), never empty */
        enum engine_tree_kind kind;
        mode_t perm; /* the permission bits, setuid, setgid and sticky included (07777) */
        uid_t uid;
        gid_t gid;
        struct timespec mtime;
        uint64_t size;    /* FILE: the bytes read() gives */
        dev_t rdev;       /* CHAR, BLOCK */
        const char *link; /* SYMLINK: its target; HARDLINK: the path of the earlier entry */
        /* FILE: read the next bytes of the content; returns their count (0 at the end) or -errno
         * with err set */
        ssize_t (*read)(void *ctx, void *buf, size_t len, struct rctr_error *err);
        void *read_ctx;
};

/* Where entries go: put() returns >= 0 to go on, -errno with err set to stop. */
struct engine_tree_sink {
        int (*put)(void *ctx, const struct engine_tree_entry *e, struct rctr_error *err);
        void *ctx;
};
