/* Named volumes: names, volume.json records, create/get/list/remove/prune, crash leftovers. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h"
#include "storage/volumes.h"
#include "tap.h"

static bool exists_at(int dirfd, const char *name)
{
        struct stat st;

        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static mode_t mode_at(int dirfd, const char *name)
{
        struct stat st;

        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_mode & 07777 : 0;
}

static void test_names(void)
{
        char long_name[STORAGE_VOLUME_NAME_MAX + 2];
        cleanup_error struct rctr_error err = {0};

        ok(storage_volume_name_valid("a"), "one character");
        ok(storage_volume_name_valid("Data_1.x-y"), "letters, digits, _ . -");
        ok(!storage_volume_name_valid(""), "not empty");
        ok(!storage_volume_name_valid(".tmp-1") && !storage_volume_name_valid(".."),
           "not starting with a dot");
        ok(!storage_volume_name_valid("-x") && !storage_volume_name_valid("_x"),
           "not starting with - or _");
        ok(!storage_volume_name_valid("a/b") && !storage_volume_name_valid("a b") &&
                   !storage_volume_name_valid("caf\xc3\xa9"),
           "no slash, space or non-ASCII");
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        ok(!storage_volume_name_valid(long_name), "not longer than a file name");
        long_name[STORAGE_VOLUME_NAME_MAX] = '\0';
        ok(storage_volume_name_valid(long_name), "255 characters are fine");
        ok(storage_volume_check_name("a/b", &err) == -EINVAL, "check_name says why");
        is_str(err.msg, "invalid volume name \"a/b\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
               "the rule in the message");
}

static void test_parse(void)
{
        cleanup_error struct rctr_error err = {0};
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        CLEANUP(storage_volume_clear) struct storage_volume back = {0};
        const char *text = "{\"Name\": \"v1\", \"Driver\": \"local\", \"Mountpoint\": \"/x/_data\","
                           " \"CreatedAt\": \"2026-01-02T03:04:05.5+01:00\","
                           " \"Labels\": {\"a\": \"1\"}, \"Options\": {}, \"Scope\": \"local\"}";
        json_auto_t *doc = NULL;
        cleanup_free char *dump = NULL;

        ok(storage_volume_parse(text, strlen(text), &v, &err) == 0, "parse a record");
        ok(streq(v.name, "v1") && streq(v.driver, "local") && streq(v.mountpoint, "/x/_data") &&
                   streq(json_string_value(json_object_get(v.labels, "a")), "1") &&
                   json_object_size(v.options) == 0,
           "with its fields");
        doc = storage_volume_json(&v);
        ok(streq(json_string_value(json_object_get(doc, "Scope")), "local") &&
                   json_integer_value(json_object_get(doc, "MountCount")) == 0,
           "the inspect form has Scope and MountCount");
        dump = json_dumps(doc, 0);
        ok(storage_volume_parse(dump, strlen(dump), &back, &err) == 0 &&
                   streq(back.created_at, v.created_at) && json_equal(back.labels, v.labels),
           "round trip");

        ok(storage_volume_parse("{\"Driver\": \"local\"}", 19, &back, &err) == -EBADMSG,
           "Name is required");
        is_str(err.msg, "volume.json: Name: missing", "said so");
        rctr_error_clear(&err);
        ok(storage_volume_parse("{\"Name\": \"../x\"}", 16, &back, &err) == -EBADMSG,
           "a name that is a path is refused");
        rctr_error_clear(&err);
        ok(storage_volume_parse("{\"Name\": \"x\", \"Labels\": {\"a\": 1}}", 33, &back, &err) ==
                   -EBADMSG,
           "labels are strings");
        is_str(err.msg, "volume.json: Labels: a: expected a string", "named");
        rctr_error_clear(&err);
        ok(storage_volume_parse("{\"Name\": ", 9, &back, &err) == -EBADMSG, "truncated JSON");
        rctr_error_clear(&err);
}

/* An RFC 3339 time with nanoseconds at most and an offset (Z or +hh:mm), as podman's. */
static bool rfc3339(const char *s)
{
        struct tm tm = {0};
        const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

        if (!rest)
                return false;
        if (*rest == '.')
                rest += 1 + strspn(rest + 1, "0123456789");
        if (streq(rest, "Z"))
                return true;
        return strlen(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':';
}

/* The names the in-use predicate claims (ud is void *: no string literals). */
static char keep_data[] = "data", keep_opts[] = "opts";

static bool in_use_keep(void *ud, const char *name)
{
        return streq(name, (const char *)ud);
}

static void test_create(struct storage_volumes *vs, const char *store)
{
        cleanup_error struct rctr_error err = {0};
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        CLEANUP(storage_volume_clear) struct storage_volume again = {0};
        CLEANUP(storage_volume_clear) struct storage_volume rnd = {0};
        json_auto_t *labels = json_pack("{s:s}", "team", "ci");
        json_auto_t *other = json_pack("{s:s}", "team", "other");
        json_auto_t *bad_opt = json_pack("{s:s}", "type", "tmpfs");
        json_auto_t *empty_opt = json_pack("{s:s, s:s}", "device", "", "size", "1G");
        cleanup_free char *data = xasprintf("%s/volumes/data/_data", store);
        mode_t old = umask(077);

        ok(storage_volume_create(vs, "data", labels, NULL, false, &v, &err) == 0, "create");
        umask(old);
        ok(streq(v.name, "data") && streq(v.driver, "local") && streq(v.mountpoint, data),
           "its record");
        ok(rfc3339(v.created_at), "CreatedAt is RFC 3339 with an offset (%s)", v.created_at);
        ok(mode_at(vs->dirfd, "data/_data") == 0755, "_data is 0755 whatever the umask");
        ok(exists_at(vs->dirfd, "data/volume.json"), "volume.json is there");
        ok(storage_volume_exists(vs, "data") && !storage_volume_exists(vs, "nope") &&
                   !storage_volume_exists(vs, "../volumes"),
           "exists");

        ok(storage_volume_create(vs, "data", other, NULL, false, &again, &err) == -EEXIST,
           "a second create fails");
        is_str(err.msg, "volume data already exists", "said so");
        rctr_error_clear(&err);
        ok(storage_volume_create(vs, "data", other, NULL, true, &again, &err) == 1,
           "unless ignore_existing: 1");
        ok(streq(json_string_value(json_object_get(again.labels, "team")), "ci"),
           "and the volume is left as it was");

        ok(storage_volume_create(vs, NULL, NULL, NULL, false, &rnd, &err) == 0, "a random name");
        ok(strlen(rnd.name) == 64 && strspn(rnd.name, "0123456789abcdef") == 64, "64 hex");

        ok(storage_volume_create(vs, "tmpfs", NULL, bad_opt, false, NULL, &err) == -EOPNOTSUPP,
           "a mounting option is refused");
        is_str(err.msg, "volume option type is not supported rootless", "said so");
        rctr_error_clear(&err);
        ok(!storage_volume_exists(vs, "tmpfs"), "and nothing made");
        ok(storage_volume_create(vs, "opts", NULL, empty_opt, false, NULL, &err) == 0,
           "an empty device and other options are recorded");
        ok(storage_volume_create(vs, "a/b", NULL, NULL, false, NULL, &err) == -EINVAL,
           "a bad name is refused");
        rctr_error_clear(&err);
}

static void test_get_list(struct storage_volumes *vs)
{
        cleanup_error struct rctr_error err = {0};
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        cleanup_close int data = -1;
        cleanup_free char *path = storage_volume_data_path(vs, "opts");
        struct stat st;

        ok(storage_volume_get(vs, "opts", &v, &err) == 0 &&
                   streq(json_string_value(json_object_get(v.options, "size")), "1G"),
           "get gives the recorded options");
        ok(streq(v.mountpoint, path), "and the data path as Mountpoint");
        ok(storage_volume_get(vs, "nope", &v, &err) == -ENOENT, "get of a missing volume");
        is_str(err.msg, "no such volume nope", "said as podman");
        rctr_error_clear(&err);
        ok(storage_volume_get(vs, "../x", &v, &err) == -ENOENT, "an invalid name is missing");
        rctr_error_clear(&err);

        /* what a create killed before its rename leaves, and our lock file: not volumes */
        ok(mkdirat(vs->dirfd, ".tmp-dead", 0700) == 0 &&
                   mkdirat(vs->dirfd, ".tmp-dead/_data", 0700) == 0,
           "a leftover temporary volume");
        ok(storage_volume_create(vs, "b", NULL, NULL, false, NULL, &err) == 0, "create b");
        ok(!exists_at(vs->dirfd, ".tmp-dead"), "the next create removed the leftover");
        ok(mkdirat(vs->dirfd, ".tmp-dead2", 0700) == 0, "another leftover");
        ok(storage_volume_list(vs, &list, &err) == 0 && list.n == 4,
           "list: 4 volumes, leftovers and .lock ignored");
        ok(list.n == 4 && strcmp(list.v[0].name, list.v[1].name) < 0 &&
                   strcmp(list.v[1].name, list.v[2].name) < 0 &&
                   strcmp(list.v[2].name, list.v[3].name) < 0,
           "sorted by name");
        data = storage_volume_open_data(vs, "data", &err);
        ok(data >= 0 && fstat(data, &st) == 0 && S_ISDIR(st.st_mode), "open_data: the directory");
        ok(storage_volume_open_data(vs, "nope", &err) == -ENOENT, "open_data of a missing one");
        rctr_error_clear(&err);

        /* a record that names another volume is not taken for this one */
        ok(mkdirat(vs->dirfd, "copy", 0700) == 0 &&
                   linkat(vs->dirfd, "data/volume.json", vs->dirfd, "copy/volume.json", 0) == 0,
           "a copied record");
        ok(storage_volume_get(vs, "copy", &v, &err) == -EBADMSG, "is refused");
        is_str(err.msg, "volume copy: volume.json names another volume", "said so");
        rctr_error_clear(&err);
        ok(storage_volume_remove(vs, "copy", false, NULL, NULL, &err) == 0, "but can be removed");
}

static void test_remove(struct storage_volumes *vs)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_strv char **removed = NULL;
        cleanup_close int fd = -1;

        ok(storage_volume_remove(vs, "nope", false, NULL, NULL, &err) == -ENOENT,
           "remove a missing volume");
        is_str(err.msg, "no such volume nope", "said so");
        rctr_error_clear(&err);
        ok(storage_volume_remove(vs, "data", false, in_use_keep, keep_data, &err) == -EBUSY,
           "a volume in use is refused");
        is_str(err.msg,
               "volume data is being used by a container: remove the container first or use "
               "--force",
               "said so");
        rctr_error_clear(&err);
        ok(storage_volume_exists(vs, "data"), "and stays");

        /* content a container made: a file and a directory nobody may read */
        fd = openat(vs->dirfd, "data/_data/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ok(fd >= 0 && mkdirat(vs->dirfd, "data/_data/locked", 0) == 0, "data in the volume");
        ok(storage_volume_remove(vs, "data", true, in_use_keep, keep_data, &err) == 0,
           "--force removes it anyway");
        ok(!storage_volume_exists(vs, "data") && !exists_at(vs->dirfd, "data"), "gone");

        /* prune: everything not in use, and leftovers */
        ok(storage_volumes_lock(vs, false, &err) == 0, "hold the lock shared");
        ok(storage_volumes_prune(vs, in_use_keep, keep_opts, &removed, &err) == 0, "prune");
        ok(vs->lockmode == LOCK_SH, "the caller's shared lock is given back");
        storage_volumes_unlock(vs);
        ok(removed && removed[0] && removed[1] && !removed[2] &&
                   (streq(removed[0], "b") || streq(removed[1], "b")) &&
                   strcmp(removed[0], removed[1]) < 0,
           "removed the random one and b, sorted");
        ok(storage_volume_exists(vs, "opts"), "kept the one in use");
        ok(!exists_at(vs->dirfd, ".tmp-dead2"), "and removed the leftover");
        ok(exists_at(vs->dirfd, ".lock"), "the lock file stays");
}

static void test_locked_create(struct storage_volumes *vs)
{
        cleanup_error struct rctr_error err = {0};

        /* a caller holding the exclusive lock (a container being made) creates without waiting */
        ok(storage_volumes_lock(vs, true, &err) == 0, "hold the lock");
        ok(storage_volume_create(vs, "held", NULL, NULL, false, NULL, &err) == 0,
           "create under the caller's lock");
        ok(vs->lockmode == LOCK_EX, "which is still held");
        storage_volumes_unlock(vs);
        ok(storage_volume_remove(vs, "held", false, NULL, NULL, &err) == 0 && vs->lockmode == 0,
           "remove takes and drops it itself");
}

/* Processes creating one name at once: exactly one makes it, the others hear it exists. */
static void test_race(const char *store)
{
        cleanup_error struct rctr_error err = {0};
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_store_freep) struct storage_store *s = NULL;
        int made = 0, existed = 0, other = 0;
        pid_t pids[8];

        for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        struct storage_store *cs = NULL;
                        struct storage_volumes *cvs = NULL;
                        struct rctr_error e = {0};
                        int r;

                        if (storage_store_open(store, &cs, &e) < 0 ||
                            storage_volumes_open(cs, &cvs, &e) < 0)
                                _exit(3);
                        r = storage_volume_create(cvs, "race", NULL, NULL, false, NULL, &e);
                        _exit(r == 0 ? 0 : r == -EEXIST ? 1 : 2);
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
                int status = 0;

                (void)waitpid(pids[i], &status, 0);
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        made++;
                else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
                        existed++;
                else
                        other++;
        }
        ok(made == 1 && existed == 7 && other == 0, "8 creates of one name: 1 made, 7 -EEXIST");
        /* and a time zone east of UTC shows as podman shows it */
        setenv("TZ", "XYZ-2", 1);
        tzset();
        ok(storage_store_open(store, &s, &err) == 0 && storage_volumes_open(s, &vs, &err) == 0 &&
                   storage_volume_create(vs, "tz", NULL, NULL, false, &v, &err) == 0,
           "create in UTC+2");
        ok(v.created_at && strlen(v.created_at) > 6 &&
                   streq(v.created_at + strlen(v.created_at) - 6, "+02:00"),
           "CreatedAt ends in +02:00 (%s)", v.created_at ? v.created_at : "");
}

int main(void)
{
        char dir[] = "/tmp/test-volumes-XXXXXX";
        cleanup_error struct rctr_error err = {0};
        CLEANUP(storage_store_freep) struct storage_store *s = NULL;
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        cleanup_free char *store = NULL;

        if (!mkdtemp(dir))
                return 1;
        store = xasprintf("%s/store", dir);
        test_names();
        test_parse();
        ok(storage_store_open(store, &s, &err) == 0 && storage_volumes_open(s, &vs, &err) == 0,
           "open the volumes of a new store");
        if (vs) {
                test_create(vs, store);
                test_get_list(vs);
                test_remove(vs);
                test_locked_create(vs);
                test_race(store);
        }
        (void)fs_remove_tree_at(AT_FDCWD, dir, &err);
        return tap_done();
}
