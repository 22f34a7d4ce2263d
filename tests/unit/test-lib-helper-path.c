#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/helper-path.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rctr-test-helper-path.XXXXXX";

/* tmpdir/rel, owned. */
static char *tmp(const char *rel)
{
        return xasprintf("%s/%s", tmpdir, rel);
}

static bool make_file(const char *rel, mode_t mode)
{
        cleanup_free char *path = tmp(rel);
        cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

        return fd >= 0 && fchmod(fd, mode) == 0;
}

static bool make_dir(const char *rel)
{
        cleanup_free char *path = tmp(rel);

        return mkdir(path, 0755) == 0;
}

/* ok() that found is NULL, showing what was found instead. */
static void is_none(const char *found, const char *name)
{
        if (!ok(found == NULL, "%s", name))
                printf("#   found: %s\n", found);
}

/* Copy our own binary to tmpdir/rel, so that it can run from a layout we choose. */
static bool copy_self(const char *rel)
{
        cleanup_free char *path = tmp(rel);
        cleanup_close int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        cleanup_close int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        char chunk[65536];
        ssize_t n;

        if (in < 0 || out < 0)
                return false;
        while ((n = RETRY_EINTR(read(in, chunk, sizeof(chunk)))) > 0)
                if (fs_write_all(out, chunk, (size_t)n) < 0)
                        return false;
        return n == 0;
}

/*
 * Run tmpdir/rel (a copy of this test) as `rel MODE NAME` without RCTR_HELPER_DIR: it prints
 * what rctr_helper_path(NAME) found there. Returns its output, owned, or "(failed)".
 */
static char *lookup_from(const char *rel, const char *mode, const char *name)
{
        cleanup_free char *path = tmp(rel);
        char out[4096];
        size_t len = 0;
        int pipefd[2];
        int status = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return xstrdup("(failed)");
        pid = fork();
        if (pid == 0) {
                char *argv[] = {path, (char *)mode, (char *)name, NULL};

                unsetenv("RCTR_HELPER_DIR");
                dup2(pipefd[1], STDOUT_FILENO);
                execv(path, argv);
                _exit(127);
        }
        close_nointr(pipefd[1]);
        while (pid > 0 && len < sizeof(out) - 1 &&
               (n = RETRY_EINTR(read(pipefd[0], out + len, sizeof(out) - 1 - len))) > 0)
                len += (size_t)n;
        close_nointr(pipefd[0]);
        if (pid < 0 || RETRY_EINTR(waitpid(pid, &status, 0)) < 0 || status != 0)
                return xstrdup("(failed)");
        out[len] = '\0';
        return xstrdup(out);
}

/* The child side of lookup_from(). */
static int lookup_main(const char *mode, const char *name)
{
        cleanup_free char *found = NULL;

        /* A binary replaced while running: /proc/self/exe then reads "<path> (deleted)". */
        if (streq(mode, "--lookup-deleted")) {
                cleanup_free char *self = realpath("/proc/self/exe", NULL);

                if (!self || unlink(self) < 0)
                        return 1;
        }
        found = rctr_helper_path(name);
        printf("%s", found ? found : "(none)");
        return 0;
}

static void test_override(void)
{
        cleanup_free char *want = tmp("env/helper-a");
        cleanup_free char *found = NULL;
        cleanup_free char *dir = tmp("env");
        cleanup_free char *link = tmp("env/link");

        ok(make_dir("env") && make_file("env/helper-a", 0755) && make_file("env/plain", 0644) &&
                   make_dir("env/subdir") && symlink("helper-a", link) == 0,
           "override fixtures");
        setenv("RCTR_HELPER_DIR", dir, 1);

        found = rctr_helper_path("helper-a");
        is_str(found, want, "RCTR_HELPER_DIR/name is found");
        free(found);

        /* Packagers may link the helper from elsewhere. */
        found = rctr_helper_path("link");
        is_str(found, link, "a symlink to an executable is found");
        free(found);

        found = rctr_helper_path("plain");
        is_none(found, "a file without x permission is not a helper");
        free(found);

        found = rctr_helper_path("subdir");
        is_none(found, "a directory is not a helper");
        free(found);

        found = rctr_helper_path("rctr-no-such-helper");
        is_none(found, "a missing helper: NULL");
        free(found);

        setenv("RCTR_HELPER_DIR", "", 1);
        found = rctr_helper_path("helper-a");
        is_none(found, "an empty RCTR_HELPER_DIR is ignored");
        unsetenv("RCTR_HELPER_DIR");
}

static void test_next_to_binary(void)
{
        cleanup_free char *self = realpath("/proc/self/exe", NULL);
        cleanup_free char *found = NULL;
        const char *base = self ? strrchr(self, '/') + 1 : "(no /proc)";

        /* The build tree: our own binary is an executable right next to our binary. */
        found = rctr_helper_path(base);
        is_str(found, self, "a helper next to the binary is found");
}

static void test_layouts(void)
{
        cleanup_free char *got = NULL;
        cleanup_free char *want = NULL;

        ok(make_dir("usr") && make_dir("usr/bin") && make_dir("usr/libexec") &&
                   make_dir("usr/libexec/rctr") && copy_self("usr/bin/rctr") &&
                   make_file("usr/libexec/rctr/helper-b", 0755) &&
                   make_file("usr/libexec/rctr/helper-c", 0755) &&
                   make_file("usr/bin/helper-c", 0755),
           "installed-tree fixtures");

        /* An installed tree: <prefix>/bin/rctr finds <prefix>/libexec/rctr/NAME. */
        got = lookup_from("usr/bin/rctr", "--lookup", "helper-b");
        want = tmp("usr/libexec/rctr/helper-b");
        is_str(got, want, "<bin>/../libexec/rctr/name is found");
        free(got);
        free(want);

        /* The directory of the binary comes first: a build tree wins over an old install. */
        got = lookup_from("usr/bin/rctr", "--lookup", "helper-c");
        want = tmp("usr/bin/helper-c");
        is_str(got, want, "<bin>/name comes before <bin>/../libexec/rctr/name");
        free(got);

        got = lookup_from("usr/bin/rctr", "--lookup", "rctr-no-such-helper");
        is_str(got, "(none)", "nothing anywhere: NULL");
        free(got);

        /* An upgrade replaced the binary while it ran: still found next to the old path. */
        got = lookup_from("usr/bin/rctr", "--lookup-deleted", "helper-c");
        is_str(got, want, "found from a deleted binary");
}

int main(int argc, char **argv)
{
        struct rctr_error err = {0};

        if (argc == 3)
                return lookup_main(argv[1], argv[2]);

        if (!mkdtemp(tmpdir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        unsetenv("RCTR_HELPER_DIR");
        test_override();
        test_next_to_binary();
        test_layouts();
        if (fs_remove_tree_at(AT_FDCWD, tmpdir, &err) < 0)
                printf("# %s\n", err.msg);
        rctr_error_clear(&err);
        return tap_done();
}
