#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/hooks.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rctr-test-hooks.XXXXXX";

/* Parse the hooks object given as JSON text; the error message (or "(parsed)") in *msg. */
static int parse_text(const char *text, struct engine_hooks **ret, char **msg)
{
        json_t *doc = json_loads(text, 0, NULL);
        struct rctr_error err = {0};
        int r;

        if (!doc) {
                *msg = xstrdup("(bad test JSON)");
                return -EINVAL;
        }
        r = engine_hooks_parse(doc, ret, &err);
        *msg = xstrdup(r < 0 ? err.msg : "(parsed)");
        rctr_error_clear(&err);
        json_decref(doc);
        return r;
}

static void parse_fails(const char *text, const char *want)
{
        cleanup_free char *msg = NULL;
        struct engine_hooks *h = NULL;
        int r = parse_text(text, &h, &msg);

        ok(r == -EBADMSG && h == NULL, "refused: %s", want);
        is_str(msg, want, "message for %s", text);
        engine_hooks_free(h);
}

static void test_parse_good(void)
{
        cleanup_free char *msg = NULL;
        struct engine_hooks *h = NULL;
        int r;

        r = engine_hooks_parse(NULL, &h, &(struct rctr_error){0});
        ok(r == 0 && h != NULL, "absent hooks: an empty set");
        for (int k = 0; h && k < ENGINE_HOOK_KIND_COUNT; k++)
                ok(!engine_hooks_any(h, (enum engine_hook_kind)k), "no %s hooks",
                   engine_hook_kind_name((enum engine_hook_kind)k));
        engine_hooks_free(h);
        h = NULL;

        r = parse_text("{\"prestart\": [{\"path\": \"/bin/true\"}, {\"path\": \"/bin/false\","
                       " \"args\": [\"false\", \"x\"], \"env\": [\"A=1\"], \"timeout\": 5}],"
                       " \"createRuntime\": [], \"poststop\": [{\"path\": \"/bin/true\"}],"
                       " \"futureHook\": 42}",
                       &h, &msg);
        ok(r == 0, "hooks parse: %s", msg);
        ok(engine_hooks_count(h, ENGINE_HOOK_PRESTART) == 2, "two prestart hooks");
        ok(!engine_hooks_any(h, ENGINE_HOOK_CREATE_RUNTIME), "an empty array is no hook");
        ok(engine_hooks_any(h, ENGINE_HOOK_POSTSTOP), "a poststop hook");
        ok(!engine_hooks_any(h, ENGINE_HOOK_KIND_COUNT) && !engine_hooks_any(NULL, 0),
           "out-of-range kind and NULL set have none");
        engine_hooks_free(h);

        is_str(engine_hook_kind_name(ENGINE_HOOK_PRESTART), "prestart", "kind name");
        is_str(engine_hook_kind_name(ENGINE_HOOK_CREATE_RUNTIME), "createRuntime", "kind name");
        is_str(engine_hook_kind_name(ENGINE_HOOK_CREATE_CONTAINER), "createContainer", "kind name");
        is_str(engine_hook_kind_name(ENGINE_HOOK_START_CONTAINER), "startContainer", "kind name");
        is_str(engine_hook_kind_name(ENGINE_HOOK_POSTSTART), "poststart", "kind name");
        is_str(engine_hook_kind_name(ENGINE_HOOK_POSTSTOP), "poststop", "kind name");
}

static void test_parse_bad(void)
{
        parse_fails("[]", "hooks: expected an object");
        parse_fails("{\"prestart\": {}}", "hooks.prestart: expected an array");
        parse_fails("{\"prestart\": [\"/bin/true\"]}", "hooks.prestart[0]: expected an object");
        parse_fails("{\"createRuntime\": [{\"args\": [\"x\"]}]}",
                    "hooks.createRuntime[0].path: missing");
        parse_fails("{\"prestart\": [{\"path\": \"/bin/true\"}, {\"path\": \"bin/true\"}]}",
                    "hooks.prestart[1].path: not absolute");
        parse_fails("{\"prestart\": [{\"path\": \"\"}]}", "hooks.prestart[0].path: not absolute");
        parse_fails("{\"prestart\": [{\"path\": 7}]}", "hooks.prestart[0].path: expected a string");
        parse_fails("{\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": 0}]}",
                    "hooks.poststop[0].timeout: 0 is out of range 1..2147483647");
        parse_fails("{\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": -3}]}",
                    "hooks.poststop[0].timeout: -3 is out of range 1..2147483647");
        parse_fails("{\"poststart\": [{\"path\": \"/bin/true\", \"timeout\": 1.5}]}",
                    "hooks.poststart[0].timeout: expected an integer");
        parse_fails("{\"startContainer\": [{\"path\": \"/bin/true\", \"args\": \"true\"}]}",
                    "hooks.startContainer[0].args: expected an array");
        parse_fails("{\"createContainer\": [{\"path\": \"/bin/true\", \"env\": [\"A=1\", 2]}]}",
                    "hooks.createContainer[0].env[1]: expected a string");
}

/* A hooks set of one kind with one hook running `/bin/sh -c script` (plus options). */
static struct engine_hooks *sh_hook(const char *kind, const char *script, int timeout)
{
        json_t *hook = json_pack("{s:s, s:[s,s,s]}", "path", "/bin/sh", "args", "sh", "-c", script);
        json_t *doc = json_pack("{s:[o]}", kind, hook);
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};

        if (timeout > 0)
                json_object_set_new(hook, "timeout", json_integer(timeout));
        if (engine_hooks_parse(doc, &h, &err) < 0)
                printf("# parse: %s\n", err.msg);
        rctr_error_clear(&err);
        json_decref(doc);
        return h;
}

static char *path_in_tmp(const char *name)
{
        return xasprintf("%s/%s", tmpdir, name);
}

/* The contents of a file in tmpdir (owned), or NULL when it cannot be read. */
static char *read_tmp(const char *name)
{
        cleanup_free char *path = path_in_tmp(name);
        struct rctr_error err = {0};
        struct buf b;

        buf_init(&b, 4u << 20);
        if (fs_read_at(AT_FDCWD, path, &b, &err) < 0) {
                rctr_error_clear(&err);
                buf_free(&b);
                return NULL;
        }
        return buf_detach(&b);
}

/* Send our stderr to tmpdir/name for a while (hook stdout and forwarded stderr land there). */
static int stderr_to(const char *name)
{
        cleanup_free char *path = path_in_tmp(name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);

        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        close(fd);
        return saved;
}

static void stderr_restore(int saved)
{
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
}

static const char state[] = "{\"ociVersion\":\"1.1.0\",\"id\":\"c1\",\"status\":\"creating\","
                            "\"pid\":4242,\"bundle\":\"/tmp/b\"}";

static void test_run_stdin(void)
{
        cleanup_free char *script = xasprintf("cat > %s/state", tmpdir);
        struct engine_hooks *h = sh_hook("prestart", script, 0);
        struct rctr_error err = {0};
        cleanup_free char *got = NULL, *empty = NULL;
        int r;

        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, state, &err);
        ok(r == 0, "a hook that succeeds: %s", err.msg ? err.msg : "ok");
        got = read_tmp("state");
        is_str(got, state, "the hook read the state on stdin");
        rctr_error_clear(&err);

        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, NULL, &err);
        empty = read_tmp("state");
        ok(r == 0 && empty && !empty[0], "no state: an empty stdin");
        rctr_error_clear(&err);

        r = engine_hooks_run(h, ENGINE_HOOK_POSTSTART, state, &err);
        ok(r == 0 && !err.msg, "no hooks of a kind: nothing to do");
        engine_hooks_free(h);
}

static void test_run_env(void)
{
        json_t *doc = json_pack("{s:[{s:s, s:[s,s], s:[s]}, {s:s}]}", "createRuntime", "path",
                                "/usr/bin/env", "env", "A=1", "B=two words", "args", "env", "path",
                                "/usr/bin/env");
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        cleanup_free char *got = NULL;
        int saved, r;

        setenv("RCTR_TEST_LEAK", "1", 1); /* ours: must not reach the hook */
        r = engine_hooks_parse(doc, &h, &err);
        ok(r == 0, "env hooks parse");
        saved = stderr_to("env");
        r = engine_hooks_run(h, ENGINE_HOOK_CREATE_RUNTIME, state, &err);
        stderr_restore(saved);
        ok(r == 0, "env hooks run: %s", err.msg ? err.msg : "ok");
        got = read_tmp("env");
        /* /usr/bin/env prints to stdout, which hooks get as our stderr; the second prints none */
        is_str(got, "A=1\nB=two words\n", "exactly the given environment, then an empty one");
        rctr_error_clear(&err);
        engine_hooks_free(h);
        json_decref(doc);
}

static void test_run_argv0_and_fds(void)
{
        cleanup_free char *script = NULL, *got = NULL, *fds = NULL;
        cleanup_free char *leak_path = path_in_tmp("leak");
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        json_t *doc;
        int fd = open(leak_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int leak = fcntl(fd, F_DUPFD, 50); /* no O_CLOEXEC; above the fds the child sets up */
        int r;

        close(fd);

        script = xasprintf("cp /proc/$$/cmdline %s/cmdline;"
                           " if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo closed; fi"
                           " > %s/fds",
                           tmpdir, leak, tmpdir);
        doc = json_pack("{s:[{s:s, s:[s,s,s]}]}", "startContainer", "path", "/bin/sh", "args",
                        "my-hook", "-c", script);
        r = engine_hooks_parse(doc, &h, &err);
        if (r >= 0)
                r = engine_hooks_run(h, ENGINE_HOOK_START_CONTAINER, state, &err);
        ok(r == 0 && leak >= 0, "argv hook runs: %s", err.msg ? err.msg : "ok");
        got = read_tmp("cmdline");
        ok(got && memcmp(got, "my-hook\0-c\0", 11) == 0, "args[0] is argv[0]");
        fds = read_tmp("fds");
        is_str(fds, "closed\n", "our other fds (even without O_CLOEXEC) are not inherited");
        close(leak);
        rctr_error_clear(&err);
        engine_hooks_free(h);
        json_decref(doc);
}

static void test_run_exit_status(void)
{
        struct engine_hooks *h = sh_hook(
                "prestart", "echo; echo 'first problem\tline' >&2; echo second >&2; exit 3", 0);
        struct rctr_error err = {0};
        cleanup_free char *forwarded = NULL;
        int saved, r;

        saved = stderr_to("forwarded");
        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, state, &err);
        stderr_restore(saved);
        ok(r == -ECANCELED, "exit 3 is a failure (%d)", r);
        is_str(err.msg, "prestart hook /bin/sh: exited with status 3: first problem?line",
               "message has the status and the first stderr line");
        forwarded = read_tmp("forwarded");
        ok(forwarded && strstr(forwarded, "first problem\tline\nsecond\n"),
           "its stderr is forwarded to ours");
        rctr_error_clear(&err);
        engine_hooks_free(h);

        h = sh_hook("poststart", "kill -9 $$", 0);
        r = engine_hooks_run(h, ENGINE_HOOK_POSTSTART, state, &err);
        ok(r == -ECANCELED, "killed by a signal is a failure");
        is_str(err.msg, "poststart hook /bin/sh: killed by signal 9", "signal message");
        rctr_error_clear(&err);
        engine_hooks_free(h);
}

static void test_run_stops_at_first_failure(void)
{
        cleanup_free char *second = xasprintf("echo ran > %s/second", tmpdir);
        cleanup_free char *after = NULL;
        json_t *doc = json_pack("{s:[{s:s}, {s:s, s:[s,s,s]}]}", "createContainer", "path",
                                "/bin/false", "path", "/bin/sh", "args", "sh", "-c", second);
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        int r;

        r = engine_hooks_parse(doc, &h, &err);
        if (r >= 0)
                r = engine_hooks_run(h, ENGINE_HOOK_CREATE_CONTAINER, state, &err);
        ok(r == -ECANCELED, "the first hook fails");
        is_str(err.msg, "createContainer hook /bin/false: exited with status 1",
               "no stderr, no quote");
        after = read_tmp("second");
        ok(after == NULL, "the hooks after it do not run");
        rctr_error_clear(&err);
        engine_hooks_free(h);
        json_decref(doc);
}

static void test_run_warn(void)
{
        cleanup_free char *first = xasprintf("printf 1 >> %s/order; exit 2", tmpdir);
        cleanup_free char *second = xasprintf("printf 2 >> %s/order", tmpdir);
        cleanup_free char *order = NULL, *warned = NULL;
        json_t *doc =
                json_pack("{s:[{s:s, s:[s,s,s]}, {s:s, s:[s,s,s]}]}", "poststop", "path", "/bin/sh",
                          "args", "sh", "-c", first, "path", "/bin/sh", "args", "sh", "-c", second);
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        int saved;

        ok(engine_hooks_parse(doc, &h, &err) == 0, "poststop hooks parse");
        saved = stderr_to("warned");
        engine_hooks_run_warn(h, ENGINE_HOOK_POSTSTOP, state);
        stderr_restore(saved);
        order = read_tmp("order");
        is_str(order, "12", "run_warn runs every hook, in order, past a failure");
        warned = read_tmp("warned");
        ok(warned && strstr(warned, "rctr: warning: poststop hook /bin/sh: exited with status 2"
                                    ", ignoring\n"),
           "the failure is a warning");
        engine_hooks_free(h);
        json_decref(doc);
}

static void test_run_timeout(void)
{
        json_t *doc = json_pack("{s:[{s:s, s:[s,s], s:i}]}", "prestart", "path", "/bin/sleep",
                                "args", "sleep", "10", "timeout", 1);
        cleanup_free char *marker = xasprintf("sleep 4; echo survived > %s/survived", tmpdir);
        cleanup_free char *survived = NULL;
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        struct timespec t0, t1;
        int r;

        ok(engine_hooks_parse(doc, &h, &err) == 0, "timeout hook parses");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, state, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("# timed-out hook returned after %.2f s\n",
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        ok(r == -ETIMEDOUT, "a hook past its timeout fails (%d)", r);
        is_str(err.msg, "prestart hook /bin/sleep: timed out after 1 s", "timeout message");
        /* sleep 10 would still be running, or a zombie, had it not been killed and reaped */
        errno = 0;
        ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "the hook was killed and reaped");
        rctr_error_clear(&err);
        engine_hooks_free(h);

        /* killed, not waited for: the shell never gets to its echo */
        h = sh_hook("poststart", marker, 1);
        r = engine_hooks_run(h, ENGINE_HOOK_POSTSTART, state, &err);
        ok(r == -ETIMEDOUT, "a shell past its timeout fails");
        survived = read_tmp("survived");
        ok(survived == NULL, "the hook was killed at its timeout, not waited for");
        rctr_error_clear(&err);
        engine_hooks_free(h);
        json_decref(doc);
}

static void test_run_unread_stdin(void)
{
        size_t len = 1u << 20;
        cleanup_free char *big = xmalloc(len + 1);
        struct engine_hooks *h;
        struct rctr_error err = {0};
        sigset_t mask, pending;
        int r;

        memset(big, 'x', len);
        big[len] = '\0';
        /* closes its stdin and lives on: our writes meet a pipe without a reader (EPIPE) */
        h = sh_hook("prestart", "exec 0<&-; sleep 0.2", 0);
        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, big, &err);
        ok(r == 0, "a hook that closes stdin unread succeeds: %s", err.msg ? err.msg : "ok");
        engine_hooks_free(h);

        /* keeps stdin open without reading, then exits */
        h = sh_hook("prestart", "sleep 0.2", 0);
        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, big, &err);
        ok(r == 0, "a hook that never reads 1 MiB of state does not hang us");
        engine_hooks_free(h);

        h = sh_hook("prestart", "exit 0", 0);
        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, big, &err);
        ok(r == 0, "a hook that exits at once does not kill us with SIGPIPE");
        engine_hooks_free(h);

        sigprocmask(SIG_BLOCK, NULL, &mask);
        sigpending(&pending);
        ok(!sigismember(&mask, SIGPIPE) && !sigismember(&pending, SIGPIPE),
           "SIGPIPE is unblocked again and none is left pending");
        rctr_error_clear(&err);
}

static void test_run_clean_signals(void)
{
        /* grep reads its own mask, as execve gave it (a shell blocks signals while it waits) */
        json_t *doc = json_pack("{s:[{s:s, s:[s,s,s]}]}", "prestart", "path", "/bin/grep", "args",
                                "grep", "SigBlk", "/proc/self/status");
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        cleanup_free char *got = NULL;
        sigset_t set, old;
        int saved, r;

        ok(engine_hooks_parse(doc, &h, &err) == 0, "grep hook parses");
        /* as a monitor does for its signalfd */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, &old);
        saved = stderr_to("sigblk");
        r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, state, &err);
        stderr_restore(saved);
        sigprocmask(SIG_SETMASK, &old, NULL);
        ok(r == 0, "hook runs with signals blocked here");
        got = read_tmp("sigblk");
        is_str(got, "SigBlk:\t0000000000000000\n", "the hook starts with no signal blocked");
        rctr_error_clear(&err);
        engine_hooks_free(h);
        json_decref(doc);
}

static void test_run_daemon(void)
{
        cleanup_free char *script = xasprintf("{ sleep 1; echo late > %s/late; } & exit 0", tmpdir);
        struct engine_hooks *h = sh_hook("createRuntime", script, 0);
        struct rctr_error err = {0};
        cleanup_free char *late = NULL;
        int r;

        /* the background job keeps the hook's stderr pipe open after the hook exited */
        r = engine_hooks_run(h, ENGINE_HOOK_CREATE_RUNTIME, state, &err);
        ok(r == 0, "a hook that leaves a job behind succeeds");
        late = read_tmp("late");
        ok(late == NULL, "we return at the hook's exit, not at EOF on its stderr");
        for (int i = 0; i < 100 && !late; i++) {
                usleep(50000); /* let the job finish before tmpdir goes */
                late = read_tmp("late");
        }
        rctr_error_clear(&err);
        engine_hooks_free(h);
}

static void test_run_missing(void)
{
        json_t *doc = json_pack("{s:[{s:s}]}", "prestart", "path", "/nonexistent/hook");
        struct engine_hooks *h = NULL;
        struct rctr_error err = {0};
        int r;

        r = engine_hooks_parse(doc, &h, &err);
        if (r >= 0)
                r = engine_hooks_run(h, ENGINE_HOOK_PRESTART, state, &err);
        ok(r == -ENOENT, "a missing hook fails with ENOENT (%d)", r);
        is_str(err.msg, "prestart hook /nonexistent/hook: execute: No such file or directory",
               "missing hook message");
        rctr_error_clear(&err);
        engine_hooks_free(h);
        json_decref(doc);
}

int main(void)
{
        struct rctr_error err = {0};

        if (!mkdtemp(tmpdir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        test_parse_good();
        test_parse_bad();
        test_run_stdin();
        test_run_env();
        test_run_argv0_and_fds();
        test_run_exit_status();
        test_run_stops_at_first_failure();
        test_run_warn();
        test_run_timeout();
        test_run_unread_stdin();
        test_run_clean_signals();
        test_run_daemon();
        test_run_missing();
        if (fs_remove_tree_at(AT_FDCWD, tmpdir, &err) < 0)
                printf("# %s\n", err.msg);
        rctr_error_clear(&err);
        return tap_done();
}
