/*
 * Named volumes, as podman's `volume create|ls|inspect|rm|prune`: directories in the store,
 * <root>/volumes/<name>/_data (the data, mode 0755, owned by whoever runs rctr: rootless that is
 * uid 0 of rctr's user namespace), described by <root>/volumes/<name>/volume.json.
 *
 * Crash safety: a volume is made whole in volumes/.tmp-<random>/ and renamed to its name; it is
 * removed by renaming it to a .tmp- name first. So a visible volumes/<name> is always a whole
 * volume, and readers (get, list, exists) take no lock. Writers (create, remove, prune) hold
 * volumes/.lock exclusively for as long as a .tmp- directory of theirs exists: whoever holds it
 * may take any .tmp- directory for what a killed process left, and create and prune remove them.
 * Names starting with '.' are never volumes (the name rule forbids them).
 *
 * Lock order: the store's storage.lock, then volumes/.lock, then any container's lock. The
 * in-use predicate runs with volumes/.lock held and may read (and lock) containers. Code that
 * makes a container use volumes holds volumes/.lock (shared is enough; exclusive to create one)
 * from looking them up until the container's record names them, so that no remove slips in
 * between.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct storage_store;
struct rctr_error;

/* podman's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]*, and at most this long (a file name). */
#define STORAGE_VOLUME_NAME_MAX 255

struct storage_volume {
        char *name;       /* owned */
        char *driver;     /* owned: "local" */
        char *mountpoint; /* owned: <root>/volumes/<name>/_data, where the store is now */
        char *created_at; /* owned: RFC 3339 with its offset, as podman writes it */
        json_t *labels;   /* owned reference: an object of strings */
        json_t *options;  /* owned reference: an object of strings */
};

struct storage_volume_list {
        struct storage_volume *v; /* owned, sorted by name */
        size_t n;
};

/* The volumes directory of a store. */
struct storage_volumes {
        int dirfd;    /* volumes/ */
        int lockfd;   /* volumes/.lock */
        int lockmode; /* 0, LOCK_SH or LOCK_EX: what we hold */
        char *path;   /* owned: <root>/volumes */
};

/*
 * Whether a container uses the volume name; ud is the caller's. The containers code provides it;
 * NULL where the API takes one means nothing is in use.
 */
typedef bool (*storage_volume_in_use_fn)(void *ud, const char *name);

void storage_volume_clear(struct storage_volume *v);
void storage_volume_list_clear(struct storage_volume_list *list);

/* Whether name is a valid volume name. */
bool storage_volume_name_valid(const char *name);

/* The same as an error: 0, or -EINVAL with err "invalid volume name ...: names must match ...". */
int storage_volume_check_name(const char *name, struct rctr_error *err);

/*
 * Parse a volume.json text (unit-testable). Returns 0 with *ret filled (the caller clears it;
 * mountpoint as recorded), or -EBADMSG / -EFBIG with err set.
 */
int storage_volume_parse(const char *text, size_t len, struct storage_volume *ret,
                         struct rctr_error *err);

/*
 * The record as podman's `volume inspect` shows it (Name, Driver, Mountpoint, CreatedAt,
 * Labels, Scope, Options, MountCount); also what volume.json holds. A new reference.
 */
json_t *storage_volume_json(const struct storage_volume *v);

/*
 * Open (creating) the volumes directory of the store s. Returns 0 with *ret owned by the caller
 * (s may be freed after), or -errno with err set.
 */
int storage_volumes_open(struct storage_store *s, struct storage_volumes **ret,
                         struct rctr_error *err);
void storage_volumes_free(struct storage_volumes *vs);
static inline void storage_volumes_freep(struct storage_volumes **vs)
{
        storage_volumes_free(*vs);
}

/*
 * Take (exclusive or shared, waiting) or drop volumes/.lock, for callers that do several things
 * at once (see the lock order above). Create, remove and prune take the exclusive lock
 * themselves when the caller does not hold it, and give it back as it was.
 */
int storage_volumes_lock(struct storage_volumes *vs, bool exclusive, struct rctr_error *err);
void storage_volumes_unlock(struct storage_volumes *vs);

/*
 * Create the volume name, or one with a random 64-hex name (as podman) when name is NULL.
 * labels and options are borrowed objects of strings (NULL: none) and are copied. The options
 * that would mount something ("device", "type", "o") are refused unless empty: rctr mounts
 * nothing for a volume. Returns 1 when the volume existed and ignore_existing (it is left as it
 * was), 0 when created; *ret (may be NULL) is the volume's record. Errors: -EINVAL (a bad name
 * or label), -EOPNOTSUPP (an option), -EEXIST ("volume NAME already exists"), others with err set.
 */
int storage_volume_create(struct storage_volumes *vs, const char *name, json_t *labels,
                          json_t *options, bool ignore_existing, struct storage_volume *ret,
                          struct rctr_error *err);

/* Whether the volume name exists (false for an invalid name). */
bool storage_volume_exists(struct storage_volumes *vs, const char *name);

/*
 * The record of the volume name. Returns 0 with *ret filled (the caller clears it), -ENOENT with
 * err "no such volume NAME", or another -errno with err set.
 */
int storage_volume_get(struct storage_volumes *vs, const char *name, struct storage_volume *ret,
                       struct rctr_error *err);

/* Every volume, sorted by name. Returns 0 with *ret filled (the caller clears it) or -errno. */
int storage_volume_list(struct storage_volumes *vs, struct storage_volume_list *ret,
                        struct rctr_error *err);

/*
 * Whether the volume name may be removed: it exists, and force or it is not in use (in_use as
 * for storage_volume_remove()). For callers checking several before removing any, holding the
 * exclusive lock. Returns 0, -ENOENT ("no such volume NAME") or -EBUSY with err set.
 */
int storage_volume_check_removable(struct storage_volumes *vs, const char *name, bool force,
                                   storage_volume_in_use_fn in_use, void *ud,
                                   struct rctr_error *err);

/*
 * Remove the volume name and its data. in_use (NULL: nothing is in use) is asked under the lock;
 * a volume in use is refused unless force. Returns 0, -ENOENT ("no such volume NAME"), -EBUSY
 * ("volume NAME is being used by a container: ..."), or another -errno with err set.
 */
int storage_volume_remove(struct storage_volumes *vs, const char *name, bool force,
                          storage_volume_in_use_fn in_use, void *ud, struct rctr_error *err);

/*
 * Remove every volume in_use (NULL: nothing is in use) does not claim, and the leftovers of
 * killed processes. *ret_removed (may be NULL) is an owned strv of the names removed, sorted.
 * Returns 0 or -errno with err set (what was removed before stays removed).
 */
int storage_volumes_prune(struct storage_volumes *vs, storage_volume_in_use_fn in_use, void *ud,
                          char ***ret_removed, struct rctr_error *err);

/* "<root>/volumes/<name>/_data": the data directory, for mount sources. Owned. */
char *storage_volume_data_path(const struct storage_volumes *vs, const char *name);

/*
 * An O_PATH fd of the data directory of the volume name (no symlink followed), to mount from
 * /proc/self/fd/N. Returns the fd (owned by the caller), -ENOENT ("no such volume NAME") or
 * another -errno with err set.
 */
int storage_volume_open_data(struct storage_volumes *vs, const char *name, struct rctr_error *err);
