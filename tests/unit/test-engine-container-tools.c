/*
 * The logic behind rctr diff, cp, export and top that needs no container: cp's path rules, top's
 * descriptors and Go durations, the diff of an upper directory or a full rootfs against layer
 * directories built by hand (whiteouts, opaque directories, fuse-overlayfs's ".wh." files), and
 * file trees through a tar and back, with hostile names and symlinks that point out.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/container-diff.h"
#include "engine/copy.h"
#include "engine/top.h"
#include "engine/tree-create.h"
#include "engine/tree-tar.h"
#include "engine/tree-walk.h"
#include "engine/tree.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/whiteout.h"
#include "tap.h"

static char *tmp_dir;

static void bail(const char *what)
{
        printf("Bail out! %s: %s\n", what, strerror(errno));
        exit(1);
}

/* Make path below tmp_dir: "d/" a directory, "f=text" a file, "l->target" a symlink. */
static void make(const char *spec)
{
        cleanup_free char *copy = xstrdup(spec), *path = NULL;
        char *eq = strchr(copy, '='), *arrow = strstr(copy, "->");
        int fd;

        if (arrow) {
                *arrow = '\0';
                path = xasprintf("%s/%s", tmp_dir, copy);
                if (symlink(arrow + 2, path) < 0)
                        bail(spec);
                return;
        }
        if (eq)
                *eq = '\0';
        path = xasprintf("%s/%s", tmp_dir, copy);
        if (!eq) {
                if (mkdir(path, 0755) < 0)
                        bail(spec);
                return;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, eq + 1, strlen(eq + 1)) < 0)
                bail(spec);
        close(fd);
}

/* lstat of a path below tmp_dir. */
static bool lstat_rel(const char *rel, struct stat *st)
{
        cleanup_free char *path = xasprintf("%s/%s", tmp_dir, rel);

        return lstat(path, st) == 0;
}

static int open_dir(const char *rel)
{
        cleanup_free char *path = xasprintf("%s/%s", tmp_dir, rel);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                bail(path);
        return fd;
}

static void test_copy_path(void)
{
        static const struct {
                const char *in, *path, *name;
                bool contents, slash;
        } cases[] = {
                {"/", "/", "", true, true},
                {"/etc/", "/etc", "etc", false, true},
                {"dir/.", "dir", "dir", true, true},
                {".", ".", ".", true, true},
                {"a/b", "a/b", "b", false, false},
                {"a//", "a", "a", false, true},
                {"/x/..", "/x/..", "..", true, false},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                CLEANUP(engine_copy_path_clear) struct engine_copy_path p = {0};

                engine_copy_path_parse(cases[i].in, &p);
                ok(streq(p.path, cases[i].path) && streq(p.name, cases[i].name) &&
                           p.contents == cases[i].contents && p.slash == cases[i].slash,
                   "cp path %s: %s, %s, contents %d, slash %d", cases[i].in, p.path, p.name,
                   p.contents, p.slash);
        }
}

static void test_top(void)
{
        static const struct {
                uint64_t ns;
                const char *want;
        } durations[] = {
                {0, "0s"},
                {999, "999ns"},
                {1500, "1.5\u00b5s"},
                {1500000, "1.5ms"},
                {662639121, "662.639121ms"},
                {1000000000, "1s"},
                {1500000000, "1.5s"},
                {60000000000, "1m0s"},
                {3600000000000, "1h0m0s"},
                {3661500000000, "1h1m1.5s"},
                {5313245842, "5.313245842s"},
        };
        const char *const args[] = {"pid,args", "%U", "", "huser,"};
        const char *const bad[] = {"pid,bogus"};
        cleanup_error struct rctr_error err = {0};
        cleanup_strv char **v = NULL, **w = NULL;
        char out[64];

        for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
                engine_top_duration(durations[i].ns, out, sizeof(out));
                is_str(out, durations[i].want, "duration %llu ns",
                       (unsigned long long)durations[i].ns);
        }
        ok(engine_top_parse(args, ARRAY_SIZE(args), &v, &err) == 0 && v[0] && streq(v[0], "pid") &&
                   streq(v[1], "args") && streq(v[2], "user") && streq(v[3], "huser") && !v[4],
           "descriptors: names, AIX codes, commas, empty parts");
        ok(engine_top_parse(bad, 1, &w, &err) == -EINVAL && !w, "an unknown descriptor");
        is_str(err.msg, "unknown descriptor: bogus (see rctr top --list-descriptors)",
               "its message");
}

/* The changes as "K /path" lines. */
static char *changes_text(const struct engine_changes *ch)
{
        cleanup_free char *text = xstrdup("");

        for (size_t i = 0; i < ch->n; i++) {
                char *next = xasprintf("%s%c %s\n", text, ch->v[i].kind, ch->v[i].path);

                free(text);
                text = next;
        }
        return TAKE_PTR(text);
}

static char *diff_of(const char *new_dir, enum engine_diff_form form, const char *const *layers,
                     size_t n, const struct engine_diff_skip *skip)
{
        CLEANUP(engine_changes_clear) struct engine_changes ch = {0};
        cleanup_error struct rctr_error err = {0};
        cleanup_close int newfd = open_dir(new_dir);
        int fds[8];
        int r;

        for (size_t i = 0; i < n; i++)
                fds[i] = open_dir(layers[i]);
        r = engine_diff_trees(newfd, form, fds, n, skip, &ch, &err);
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        return r < 0 ? xasprintf("error: %s", err.msg) : changes_text(&ch);
}

static bool whiteout(const char *rel)
{
        cleanup_free char *path = xasprintf("%s/%s", tmp_dir, rel);

        return mknod(path, S_IFCHR | 0000, makedev(0, 0)) == 0;
}

static void test_diff(void)
{
        static const char *const layers[] = {"l0", "l1"};
        static const char *const exact[] = {"/etc/hosts", NULL}, *const below[] = {"/proc", NULL};
        const struct engine_diff_skip skip = {.exact = exact, .below = below};
        cleanup_free char *up = NULL, *fuse = NULL, *full = NULL, *same = NULL;
        cleanup_free char *opq = xasprintf("%s/u/var", tmp_dir);
        bool devices;

        /* the image: l0 has bin/ls, bin/cat, etc/passwd, var/a; l1 deletes bin/cat */
        make("l0/"), make("l0/bin/"), make("l0/bin/ls=ls"), make("l0/bin/cat=cat");
        make("l0/etc/"), make("l0/etc/passwd=root"), make("l0/var/"), make("l0/var/a=a");
        make("l0/proc/");
        make("l1/"), make("l1/bin/");
        devices = whiteout("l1/bin/cat");
        /* the container: rm /bin/ls, echo >>/etc/passwd, /new, rm -rf /var && mkdir /var/b */
        make("u/"), make("u/bin/"), make("u/etc/"), make("u/etc/passwd=root2"), make("u/new=n");
        make("u/var/"), make("u/var/b=b"), make("u/etc/hosts=h"), make("u/proc/"),
                make("u/proc/x=x");
        devices = devices && whiteout("u/bin/ls");
        if (!devices ||
            setxattr(opq, storage_whiteout_opaque_xattr(getuid() != 0), "y", 1, 0) < 0) {
                printf("ok %d - diff # SKIP no 0/0 devices or overlay xattrs here\n", ++tap_n);
                return;
        }
        up = diff_of("u", ENGINE_DIFF_OVERLAY, layers, 2, &skip);
        is_str(up, "C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /new\nC /var\nD /var/a\nA /var/b\n",
               "an upper directory: whiteouts, opaque directory, skipped paths");
        /* fuse-overlayfs without mknod: ".wh.ls" files, its own ".wh." devices ignored */
        make("f/"), make("f/bin/"), make("f/bin/.wh.ls="), make("f/.wh..wh..opq=");
        (void)whiteout("f/.wh..opq");
        fuse = diff_of("f", ENGINE_DIFF_FUSE_OVERLAYFS, layers, 2, &skip);
        is_str(fuse, "C /bin\nD /bin/ls\nD /etc\nD /var\n",
               "fuse-overlayfs: .wh. files, an opaque root");
        /* a full rootfs (vfs): what the image shows, then the same changes */
        make("r/"), make("r/bin/"), make("r/etc/"), make("r/etc/passwd=root2");
        make("r/var/"), make("r/var/b=b"), make("r/proc/");
        full = diff_of("r", ENGINE_DIFF_ROOTFS, layers, 2, &skip);
        is_str(full, "C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nC /var\nD /var/a\nA /var/b\n",
               "a full rootfs against the layers");
        same = diff_of("l0", ENGINE_DIFF_ROOTFS, (const char *const[]){"l0"}, 1, &skip);
        is_str(same, "", "a rootfs that is its image has no changes");
}

/* Walk src into a tar file, read it back into dst. */
static int tar_roundtrip(const char *src, const char *tar, const char *dst, struct rctr_error *err)
{
        CLEANUP(engine_tree_tar_freep) struct engine_tree_tar *w = NULL;
        CLEANUP(engine_tree_create_freep) struct engine_tree_create *c = NULL;
        const struct engine_tree_create_opts o = {.owner = ENGINE_TREE_OWNER_NONE};
        cleanup_free char *tar_path = xasprintf("%s/%s", tmp_dir, tar);
        cleanup_close int srcfd = open_dir(src), dstfd = open_dir(dst), fd = -1;
        struct engine_tree_sink sink;
        int r;

        fd = open(tar_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        r = engine_tree_tar_new(fd, &w, err);
        if (r >= 0) {
                sink = engine_tree_tar_sink(w);
                r = engine_tree_walk(srcfd, "top", &sink, err);
        }
        if (r >= 0)
                r = engine_tree_tar_close(w, err);
        if (r < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return r < 0 ? r : -errno;
        c = engine_tree_create_new(dstfd, &o);
        sink = engine_tree_create_sink(c);
        r = engine_tree_tar_read(fd, &sink, err);
        return r < 0 ? r : engine_tree_create_finish(c, err);
}

static bool file_is(const char *rel, const char *want)
{
        cleanup_free char *path = xasprintf("%s/%s", tmp_dir, rel);
        char buf[64] = "";
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        if (fd >= 0)
                close(fd);
        return n >= 0 && streq(buf, want);
}

static void test_tree(void)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *ro = xasprintf("%s/t/ro", tmp_dir), *h1 = NULL, *h2 = NULL;
        cleanup_free char *l = xasprintf("%s/out/top/l", tmp_dir);
        cleanup_free char *copy_ro = xasprintf("%s/out/top/ro", tmp_dir);
        char target[64] = "";
        struct stat a, b;
        int r;

        make("t/"), make("t/f=one"), make("t/ro/"), make("t/ro/x=x"), make("t/l->/etc/passwd");
        make("t/up->../../../.."), make("out/");
        h1 = xasprintf("%s/t/f", tmp_dir);
        h2 = xasprintf("%s/t/hard", tmp_dir);
        if (link(h1, h2) < 0 || chmod(ro, 0555) < 0)
                bail("link");
        r = tar_roundtrip("t", "t.tar", "out", &err);
        ok(r == 0, "a tree through a tar and back: %s", err.msg ? err.msg : "ok");
        ok(file_is("out/top/f", "one") && file_is("out/top/ro/x", "x"), "contents");
        ok(lstat_rel("out/top/ro", &b) && (b.st_mode & 07777) == 0555,
           "a 0555 directory was filled, then given its mode");
        ok(lstat_rel("out/top/f", &a) && lstat_rel("out/top/hard", &b) && a.st_ino == b.st_ino,
           "hard links stay hard links");
        ok(readlink(l, target, sizeof(target) - 1) == 11 && streq(target, "/etc/passwd"),
           "symlinks are copied, not followed");
        /* both 0555 copies opened up again, so that an unprivileged run can remove them */
        (void)chmod(ro, 0755);
        (void)chmod(copy_ro, 0755);
}

/* A tar whose entries the walk never makes: written through the tar sink by hand. */
static int hostile_tar(const char *tar, const struct engine_tree_entry *entries, size_t n,
                       const char *dst, struct rctr_error *err)
{
        CLEANUP(engine_tree_tar_freep) struct engine_tree_tar *w = NULL;
        CLEANUP(engine_tree_create_freep) struct engine_tree_create *c = NULL;
        const struct engine_tree_create_opts o = {.owner = ENGINE_TREE_OWNER_NONE};
        cleanup_free char *tar_path = xasprintf("%s/%s", tmp_dir, tar);
        cleanup_close int dstfd = open_dir(dst),
                          fd = open(tar_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        struct engine_tree_sink sink;
        int r = engine_tree_tar_new(fd, &w, err);

        sink = engine_tree_tar_sink(w);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sink.put(sink.ctx, &entries[i], err);
        if (r >= 0)
                r = engine_tree_tar_close(w, err);
        if (r < 0 || lseek(fd, 0, SEEK_SET) < 0)
                bail("write a tar");
        c = engine_tree_create_new(dstfd, &o);
        sink = engine_tree_create_sink(c);
        return engine_tree_tar_read(fd, &sink, err);
}

static void test_hostile(void)
{
        const struct engine_tree_entry dotdot[] = {
                {.path = "../escaped", .kind = ENGINE_TREE_DIR, .perm = 0755}};
        const struct engine_tree_entry hard[] = {
                {.path = "h", .kind = ENGINE_TREE_HARDLINK, .link = "../../etc/passwd"}};
        const struct engine_tree_entry sym[] = {
                {.path = "l", .kind = ENGINE_TREE_SYMLINK, .perm = 0777, .link = "/"},
                {.path = "l/inside", .kind = ENGINE_TREE_DIR, .perm = 0755},
                {.path = "up", .kind = ENGINE_TREE_SYMLINK, .perm = 0777, .link = "../../.."},
                {.path = "up/also-inside", .kind = ENGINE_TREE_DIR, .perm = 0755}};
        cleanup_error struct rctr_error e1 = {0}, e2 = {0}, e3 = {0};
        struct stat st;
        int r;

        make("h1/"), make("h1/in/"), make("h2/"), make("h3/"), make("h3/in/");
        r = hostile_tar("d.tar", dotdot, 1, "h1/in", &e1);
        ok(r == -EBADMSG && !lstat_rel("h1/escaped", &st) && !lstat_rel("escaped", &st),
           "a name with .. is refused: %s", e1.msg);
        r = hostile_tar("h.tar", hard, 1, "h2", &e2);
        ok(r == -EBADMSG, "a hard link out: %s", e2.msg);
        r = hostile_tar("s.tar", sym, 4, "h3/in", &e3);
        ok(r == 0 && lstat_rel("h3/in/inside", &st) && lstat_rel("h3/in/also-inside", &st) &&
                   !lstat_rel("h3/inside", &st) && !lstat_rel("also-inside", &st),
           "symlinks the tar makes resolve inside the directory: %s", e3.msg ? e3.msg : "ok");
}

int main(void)
{
        char tmpl[] = "/tmp/test-engine-container-tools.XXXXXX";
        cleanup_error struct rctr_error err = {0};

        tmp_dir = mkdtemp(tmpl);
        if (!tmp_dir)
                bail("mkdtemp");
        test_copy_path();
        test_top();
        test_diff();
        test_tree();
        test_hostile();
        (void)fs_remove_tree_at(AT_FDCWD, tmp_dir, &err);
        return tap_done();
}
