/* The image store: staging, layer commit, stale stages, blobs, images.json records. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/images.h"
#include "storage/store.h"
#include "tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:2223333333333333333333333333333333333333333333333333333333333333"

static bool exists_at(int dirfd, const char *name)
{
        struct stat st;

        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_digest(void)
{
        ok(storage_digest_valid(D1), "a sha256 digest");
        ok(!storage_digest_valid("sha256:../../etc"), "a path is no digest");
        ok(!storage_digest_valid("sha512:1111"), "only sha256");
        ok(!storage_digest_valid(
                   "sha256:111111111111111111111111111111111111111111111111111111111111111A"),
           "lowercase hex only");
}

static void test_store(const char *dir)
{
        CLEANUP(storage_store_freep) struct storage_store *s = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *stage = NULL, *stage2 = NULL, *path = xasprintf("%s/store", dir);
        cleanup_buf struct buf blob = {0};
        cleanup_close int fd = -1, fd2 = -1, diff = -1;
        pid_t pid;
        int status = 0;

        ok(storage_store_open(path, &s, &err) == 0, "open creates the store");
        fd = storage_stage_new(s, &stage, &err);
        ok(fd >= 0, "a staging directory");
        ok(mkdirat(fd, "diff", 0755) == 0, "filled");
        ok(!storage_layer_exists(s, D1), "no layer yet");
        ok(storage_layer_commit(s, stage, D1, &err) == 0, "commit");
        ok(storage_layer_exists(s, D1), "the layer exists");
        diff = storage_layer_open_diff(s, D1, &err);
        ok(diff >= 0, "its diff opens");
        /* a second process committing the same layer: ours is discarded, no error */
        fd2 = storage_stage_new(s, &stage2, &err);
        ok(fd2 >= 0 && mkdirat(fd2, "diff", 0755) == 0, "a second stage");
        ok(storage_layer_commit(s, stage2, D1, &err) == 0, "committing it again is fine");
        ok(!exists_at(s->rootfd, "tmp/x") && storage_layer_exists(s, D1), "still one layer");
        ok(storage_layer_commit(s, "nope", "sha256:zz", &err) < 0, "a bad chain id is refused");
        rctr_error_clear(&err);

        /* a stage whose owner died is removed by the next open; a live one is kept */
        pid = fork();
        if (pid == 0) {
                struct storage_store *c = NULL;
                struct rctr_error e = {0};
                char *n = NULL;

                if (storage_store_open(path, &c, &e) < 0 || storage_stage_new(c, &n, &e) < 0)
                        _exit(1);
                _exit(mkdirat(c->rootfd, "tmp/marker-of-child", 0700) < 0);
        }
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a child made a stage and died");
        storage_store_free(TAKE_PTR(s));
        ok(storage_store_open(path, &s, &err) == 0, "reopen");
        ok(!exists_at(s->rootfd, "tmp/marker-of-child"), "its leftovers are gone");
        {
                cleanup_free char *live = NULL;
                cleanup_close int lfd = storage_stage_new(s, &live, &err);
                CLEANUP(storage_store_freep) struct storage_store *other = NULL;
                cleanup_free char *rel = xasprintf("tmp/%s", live);

                ok(storage_store_open(path, &other, &err) == 0, "another process opens it");
                ok(exists_at(other->rootfd, rel), "a stage in use is kept");
        }

        ok(storage_blob_put(s, D2, "{}", 2, &err) == 0, "put a blob");
        buf_init(&blob, 0);
        ok(storage_blob_get(s, D2, &blob, &err) == 0 && blob.len == 2, "get it back");
        ok(storage_blob_put(s, "sha256:../x", "{}", 2, &err) < 0, "no path as a digest");
}

/*
 * Another process opening the store removes stages nobody holds locked: a stage must never be
 * visible in tmp/ before it is locked, or that scan takes it from under its creator (seen as
 * "lock STORE/tmp/X: No such file or directory" with concurrent pulls).
 */
static void test_stage_race(const char *dir)
{
        CLEANUP(storage_store_freep) struct storage_store *s = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *path = xasprintf("%s/race", dir);
        int status = 0, failed = 0, made = 0;
        pid_t pid;

        ok(storage_store_open(path, &s, &err) == 0, "open a store to race on");
        pid = fork();
        if (pid == 0) {
                /* scan after scan, as many short-lived commands (rctr images) do */
                alarm(60); /* should the parent die without killing us */
                for (;;) {
                        struct storage_store *c = NULL;
                        struct rctr_error e = {0};

                        if (storage_store_open(path, &c, &e) < 0)
                                _exit(1);
                        storage_store_free(c);
                }
        }
        for (int i = 0; i < 1000; i++) {
                cleanup_free char *name = NULL;
                int fd = storage_stage_new(s, &name, &err);

                if (fd < 0) {
                        if (failed++ == 0)
                                printf("# %s\n", err.msg);
                        rctr_error_clear(&err);
                        continue;
                }
                made++;
                if (mkdirat(fd, "diff", 0755) < 0 && failed++ == 0)
                        printf("# stage %s gone under us: %s\n", name, strerror(errno));
                storage_stage_discard(s, name);
                close_nointr(fd);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ok(failed == 0, "1000 stages made while another process scans: %d failed", failed);
        ok(made > 0, "and they were made");
        {
                /* a stage being made is invisible to scans; one a crash left half-made goes */
                struct timespec old[2] = {{.tv_sec = 1}, {.tv_sec = 1}};
                CLEANUP(storage_store_freep) struct storage_store *c = NULL;

                ok(mkdirat(s->rootfd, "tmp/.new-young", 0700) == 0 &&
                           mkdirat(s->rootfd, "tmp/.new-old", 0700) == 0 &&
                           utimensat(s->rootfd, "tmp/.new-old", old, AT_SYMLINK_NOFOLLOW) == 0,
                   "half-made stages");
                ok(storage_store_open(path, &c, &err) == 0, "open again");
                ok(exists_at(s->rootfd, "tmp/.new-young"), "a young one is kept: it is being made");
                ok(!exists_at(s->rootfd, "tmp/.new-old"), "an old one is crash debris: removed");
        }
}

static struct storage_image image(const char *id, const char *name)
{
        struct storage_image img = {.id = xstrdup(id), .size = 42};

        img.names = xzalloc(2 * sizeof(char *));
        img.names[0] = xstrdup(name);
        img.layers = xzalloc(2 * sizeof(char *));
        img.layers[0] = xstrdup(D1);
        return img;
}

/* A killed writer's ".NAME.PID.N.tmp" goes at the next open; a live process's stays. */
static void test_stale_temps(const char *dir)
{
        CLEANUP(storage_store_freep) struct storage_store *s = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *path = xasprintf("%s/temps", dir), *mine = NULL;
        int status = 0;
        pid_t dead = fork();

        if (dead == 0)
                _exit(0);
        waitpid(dead, &status, 0);
        ok(storage_store_open(path, &s, &err) == 0, "a store");
        mine = xasprintf(".images.json.%d.0.tmp", (int)getpid());
        {
                cleanup_free char *gone = xasprintf(".images.json.%d.0.tmp", (int)dead);
                cleanup_free char *blob = xasprintf("blobs/sha256/.%s.%d.3.tmp", D1 + 7, (int)dead);

                ok(mkdirat(s->rootfd, "x", 0700) == 0, "setup");
                close_nointr(openat(s->rootfd, gone, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
                close_nointr(openat(s->rootfd, blob, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
                close_nointr(openat(s->rootfd, mine, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
                storage_store_free(TAKE_PTR(s));
                ok(storage_store_open(path, &s, &err) == 0, "reopened");
                ok(!exists_at(s->rootfd, gone), "a dead writer's temporary file is removed");
                ok(!exists_at(s->rootfd, blob), "also among the blobs");
                ok(exists_at(s->rootfd, mine), "a live process's one stays");
        }
}

static void test_images(void)
{
        struct storage_images imgs = {0}, back = {0};
        struct storage_image a = image(D2, "docker.io/library/busybox:latest");
        struct storage_image b = image(D3, "docker.io/library/busybox:latest");
        struct storage_image c = image(D2, "localhost/mine:1");
        cleanup_error struct rctr_error err = {0};
        json_auto_t *doc = NULL;
        cleanup_free char *text = NULL;
        bool amb = false;

        a.digest = xstrdup(D1);
        storage_images_add(&imgs, &a);
        ok(imgs.n == 1, "added");
        ok(storage_images_find(&imgs, "docker.io/library/busybox:latest", &amb) == &imgs.v[0],
           "found by name");
        ok(storage_images_find(&imgs, "docker.io/library/busybox@" D1, &amb) == &imgs.v[0],
           "found by repository@digest");
        ok(storage_images_find(&imgs, "222", &amb) == &imgs.v[0], "by id prefix");
        ok(storage_images_find(&imgs, "22", &amb) == NULL, "a prefix needs 3 characters");
        /* the same tag pulled again, now another image: the tag moves */
        storage_images_add(&imgs, &b);
        ok(imgs.n == 2 && imgs.v[0].names[0] == NULL, "the name moved to the new image");
        ok(storage_images_find(&imgs, "222", &amb) == NULL && amb, "an ambiguous prefix");
        ok(storage_images_find(&imgs, "2223", &amb) == &imgs.v[1], "a longer one is not");
        storage_images_add(&imgs, &c);
        ok(imgs.n == 2 && streq(imgs.v[0].names[0], "localhost/mine:1"), "same id: names merge");

        doc = storage_images_json(&imgs);
        text = json_dumps(doc, 0);
        ok(storage_images_parse(text, strlen(text), &back, &err) == 0, "round trip");
        ok(back.n == 2 && streq(back.v[1].names[0], "docker.io/library/busybox:latest") &&
                   back.v[1].size == 42 && streq(back.v[0].digest, D1),
           "with its fields");
        ok(storage_images_untag(&back, "localhost/mine:1") && back.v[0].names[0] == NULL, "untag");
        storage_images_remove(&back, 0);
        ok(back.n == 1 && streq(back.v[0].id, D3), "remove");
        storage_images_clear(&back);
        ok(storage_images_parse("{\"images\": [{\"id\": \"sha256:../../x\"}]}", 36, &back, &err) <
                   0,
           "a bad id is refused");
        rctr_error_clear(&err);
        ok(storage_images_parse("{\"images\": [{\"id\": \"" D1 "\", \"layers\": [\"x\"]}]}",
                                strlen("{\"images\": [{\"id\": \"" D1 "\", \"layers\": [\"x\"]}]}"),
                                &back, &err) < 0,
           "a bad layer is refused");
        is_str(err.msg, "images.json: images[0]: layers: invalid chain id x", "named");
        storage_images_clear(&imgs);
}

int main(void)
{
        char dir[] = "/tmp/test-storage-XXXXXX";
        cleanup_error struct rctr_error err = {0};

        if (!mkdtemp(dir))
                return 1;
        test_digest();
        test_store(dir);
        test_stage_race(dir);
        test_stale_temps(dir);
        test_images();
        (void)fs_remove_tree_at(AT_FDCWD, dir, &err);
        return tap_done();
}
