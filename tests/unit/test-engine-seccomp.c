#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/seccomp.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "tap.h"

/* The parent directory does not exist: without a filter mkdir fails with ENOENT, harmlessly. */
#define MISSING_DIR "/nonexistent-rctr-seccomp-test/dir"

static struct engine_seccomp *build(const char *text, struct rctr_error *err)
{
        json_error_t jerr;
        json_t *doc = json_loads(text, JSON_ALLOW_NUL, &jerr);
        struct engine_seccomp *s = NULL;

        if (!doc) {
                printf("# test JSON does not parse: %s: %s\n", jerr.text, text);
                return NULL;
        }
        if (engine_seccomp_new(doc, &s, err) < 0)
                s = NULL;
        json_decref(doc);
        return s;
}

/* The error text for linux.seccomp = text ("(built)" when it builds), its errno in *ret_code. */
static const char *error_of(const char *text, int *ret_code)
{
        static char msg[512];
        struct rctr_error err = {0};
        struct engine_seccomp *s = build(text, &err);

        snprintf(msg, sizeof(msg), "%s", s ? "(built)" : err.msg ? err.msg : "(no message)");
        if (ret_code)
                *ret_code = err.code;
        engine_seccomp_free(s);
        rctr_error_clear(&err);
        return msg;
}

/*
 * Run check in a child that loaded s. no_new_privs first, so that the test needs no
 * CAP_SYS_ADMIN; not dumpable, so that a kill by seccomp leaves no core file behind. Returns
 * check's result (the child's exit status), 256 + the signal that killed the child, 250/251
 * when the set-up failed, or -1.
 */
static int in_child(const struct engine_seccomp *s, int (*check)(void))
{
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return -1;
        if (pid == 0) {
                struct rctr_error err = {0};

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        _exit(250);
                if (engine_seccomp_load(s, &err) < 0) {
                        printf("# load in the child: %s\n", err.msg);
                        fflush(stdout);
                        _exit(251);
                }
                _exit(check());
        }
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 256 + WTERMSIG(status);
}

/* mkdir's errno (0 if it worked), or 200 when getpid does not work under the filter. */
static int check_mkdir(void)
{
        if (getpid() <= 0)
                return 200;
        if (mkdir(MISSING_DIR, 0700) == 0)
                return 0;
        return errno;
}

/*
 * Bit n set: call n failed with EXDEV (the errnoRet of the rules below); 100 + n: call n failed
 * otherwise. The calls: dup3(fd, 100, O_CLOEXEC), dup3(fd, 100, 0), dup3(fd, 101, 0),
 * dup3(fd, 102, 0).
 */
static int check_dup3(void)
{
        static const struct {
                int newfd, flags;
        } calls[] = {{100, O_CLOEXEC}, {100, 0}, {101, 0}, {102, 0}};
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), mask = 0;

        if (fd < 0)
                return 99;
        for (int n = 0; n < (int)ARRAY_SIZE(calls); n++) {
                if (dup3(fd, calls[n].newfd, calls[n].flags) >= 0) {
                        close(calls[n].newfd);
                        continue;
                }
                if (errno != EXDEV)
                        return 100 + n;
                mask |= 1 << n;
        }
        return mask;
}

/* Bit 0: personality(0xffffffff), the query, failed with EXDEV; bit 1: setting PER_LINUX did. */
static int check_personality(void)
{
        int mask = 0;

        if (personality(0xffffffff) < 0 && errno == EXDEV)
                mask |= 1;
        if (personality(PER_LINUX) < 0 && errno == EXDEV)
                mask |= 2;
        return mask;
}

static void test_absent(void)
{
        struct rctr_error err = {0};
        struct engine_seccomp *s = (struct engine_seccomp *)&err; /* must be overwritten */
        json_t *null = json_null();

        ok(engine_seccomp_new(NULL, &s, &err) == 0 && s == NULL && !err.msg,
           "no linux.seccomp: no filter");
        s = (struct engine_seccomp *)&err;
        ok(engine_seccomp_new(null, &s, &err) == 0 && s == NULL, "linux.seccomp null: no filter");
        ok(engine_seccomp_load(NULL, &err) == 0, "loading no filter is a no-op");
        ok(in_child(NULL, check_mkdir) == ENOENT, "without a filter mkdir fails with ENOENT");
        json_decref(null);
}

static void test_good(void)
{
        /* a Docker-like profile: several architectures, names only other archs have or none */
        is_str(error_of("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
                        " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\","
                        " \"SCMP_ARCH_X32\"],"
                        " \"syscalls\": ["
                        "  {\"names\": [\"read\", \"write\", \"socketcall\", \"_llseek\","
                        "   \"no_such_syscall_rctr\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                        "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
                        "   \"args\": [{\"index\": 0, \"value\": 4294967295, \"op\": "
                        "\"SCMP_CMP_EQ\"}]},"
                        "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
                        "   \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,"
                        "   \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                        "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                        "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_TRACE\"},"
                        "  {\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_LOG\"},"
                        "  {\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
                        "  {\"names\": [], \"action\": \"SCMP_ACT_TRAP\"}"
                        " ]}",
                        NULL),
               "(built)", "a Docker-like profile builds");
        is_str(error_of("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                        "[\"socketcall\", \"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                        NULL),
               "(built)", "a call only other architectures have, native architecture only");
        is_str(error_of("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                        "[\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\", \"SCMP_ARCH_X86_64\"], "
                        "\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": "
                        "\"SCMP_ACT_KILL\"}]}",
                        NULL),
               "(built)", "foreign architectures, a call aarch64 lacks");
        is_str(error_of("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"\", "
                        "\"syscalls\": null}",
                        NULL),
               "(built)", "an empty listenerPath and null syscalls are absent");
}

static void test_errors(void)
{
        static const struct {
                const char *json, *msg;
                int code;
        } cases[] = {
                {"[]", "linux.seccomp: expected an object", EBADMSG},
                {"{}", "linux.seccomp: defaultAction: missing", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_FOO\"}",
                 "linux.seccomp.defaultAction: unknown action SCMP_ACT_FOO", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_KILL\", \"defaultErrnoRet\": 1}",
                 "linux.seccomp.defaultErrnoRet: not allowed with SCMP_ACT_KILL", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": [\"mkdir\"], \"action\": "
                 "\"SCMP_ACT_FOO\"}]}",
                 "linux.seccomp.syscalls[1].action: unknown action SCMP_ACT_FOO", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1, \"op\": "
                 "\"SCMP_CMP_EQ\"}, {\"index\": 2, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
                 "linux.seccomp.syscalls[0].args[1].op: unknown operator SCMP_CMP_ABOUT", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": "
                 "\"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0]: index: 6 is out of range 0..5", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": -1, \"op\": "
                 "\"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0]: value: -1 is out of range "
                 "0..9223372036854775807",
                 EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1}]}]}",
                 "linux.seccomp.syscalls[0].args[0]: op: missing", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [3]}]}",
                 "linux.seccomp.syscalls[0].args[0]: expected an object", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                 "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_VAX\"]}",
                 "linux.seccomp.architectures[1]: unknown architecture SCMP_ARCH_VAX", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": \"SCMP_ARCH_X86\"}",
                 "linux.seccomp: architectures: expected an array", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
                 "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported (rctr has no "
                 "seccomp notify listener)",
                 EOPNOTSUPP},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                 "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                 "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported (rctr has no "
                 "seccomp notify listener)",
                 EOPNOTSUPP},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/agent.sock\"}",
                 "linux.seccomp.listenerPath: seccomp notify listeners are not supported",
                 EOPNOTSUPP},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"x\"}",
                 "linux.seccomp.listenerMetadata: seccomp notify listeners are not supported",
                 EOPNOTSUPP},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                 "\"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
                 "linux.seccomp.syscalls[0].errnoRet: not allowed with SCMP_ACT_KILL", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5000}]}",
                 "linux.seccomp.syscalls[0]: errnoRet: 5000 is out of range 0..4095", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
                 "\"SCMP_ACT_ERRNO\"}]}",
                 "linux.seccomp.syscalls[0]: names: missing", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", "
                 "7], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                 "linux.seccomp.syscalls[0].names[1]: expected a string", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                 "[\"mkdir\\u0000x\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                 "linux.seccomp.syscalls[0].names[0]: expected a string", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\"mkdir\"]}",
                 "linux.seccomp.syscalls[0]: expected an object", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                 "[\"SECCOMP_FILTER_FLAG_FOO\"]}",
                 "linux.seccomp.flags[0]: unknown flag SECCOMP_FILTER_FLAG_FOO", EBADMSG},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                 "[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
                 "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported "
                 "(it needs a seccomp notify listener)",
                 EOPNOTSUPP},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                int code = 0;

                is_str(error_of(cases[i].json, &code), cases[i].msg, "error %zu", i);
                ok(code == cases[i].code, "error %zu: errno %d", i, code);
        }
}

/*
 * Over the kernel's 4096 instructions: refused when built, not when the container starts. A
 * value with both 32-bit halves set costs two comparisons per rule on a 64-bit architecture.
 */
static void test_too_big(void)
{
        cleanup_buf struct buf text = {0};
        const char *msg;
        int code = 0;

        buf_init(&text, 0);
        buf_appendf(&text, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [");
        for (long long i = 1; i <= 1200; i++)
                buf_appendf(&text,
                            "%s{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", "
                            "\"args\": [{\"index\": 1, \"value\": %lld, \"op\": "
                            "\"SCMP_CMP_EQ\"}]}",
                            i > 1 ? ", " : "", i * 0x100000001LL);
        buf_appendf(&text, "]}");
        msg = error_of(text.data, &code);
        ok(strncmp(msg, "linux.seccomp: the filter needs ", 32) == 0 && code == E2BIG,
           "a program over 4096 instructions is refused: %s", msg);
}

/* Build text, expecting success, and run check in a child under it. */
static int run_under(const char *text, int (*check)(void))
{
        struct rctr_error err = {0};
        struct engine_seccomp *s = build(text, &err);
        int r;

        if (!s) {
                printf("# build: %s\n", err.msg ? err.msg : "?");
                rctr_error_clear(&err);
                return -2;
        }
        r = in_child(s, check);
        engine_seccomp_free(s);
        return r;
}

static void test_load(void)
{
        int r;

        r = run_under("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                      "[\"no_such_syscall_rctr\", \"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                      check_mkdir);
        ok(r == EPERM, "mkdir denied with EPERM (no errnoRet), getpid allowed: %d", r);
        r = run_under("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                      "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}",
                      check_mkdir);
        ok(r == 38, "mkdir denied with errnoRet 38, getpid allowed: %d", r);
        r = run_under("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                      "[\"mkdir\"], \"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"rmdir\"], "
                      "\"action\": \"SCMP_ACT_ERRNO\"}]}",
                      check_mkdir);
        ok(r == ENOENT, "a rule with the default action is skipped: %d", r);
        r = run_under("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                      "[\"mkdir\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}",
                      check_mkdir);
        ok(r == 256 + SIGSYS, "SCMP_ACT_KILL_PROCESS kills with SIGSYS: %d", r);
}

static void test_args(void)
{
        char text[512];
        int r;

        snprintf(text, sizeof(text),
                 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d, \"args\": [{\"index\": 2, "
                 "\"value\": %d, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 EXDEV, O_CLOEXEC);
        r = run_under(text, check_dup3);
        ok(r == 0x1, "dup3 denied only when arg 2 == O_CLOEXEC: %#x", r);
        snprintf(text, sizeof(text),
                 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d, \"args\": [{\"index\": 1, "
                 "\"value\": 100, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 2, \"value\": %d, "
                 "\"valueTwo\": %d, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
                 EXDEV, O_CLOEXEC, O_CLOEXEC);
        r = run_under(text, check_dup3);
        ok(r == 0x1, "conditions on different arguments are ANDed (EQ, MASKED_EQ): %#x", r);
        snprintf(text, sizeof(text),
                 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d, \"args\": [{\"index\": 1, "
                 "\"value\": 100, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 1, \"value\": 101, "
                 "\"op\": \"SCMP_CMP_EQ\"}]}]}",
                 EXDEV);
        r = run_under(text, check_dup3);
        ok(r == 0x7, "conditions on the same argument are ORed, as runc does: %#x", r);
        snprintf(text, sizeof(text),
                 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup3\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d, \"args\": [{\"index\": 1, "
                 "\"value\": 101, \"op\": \"SCMP_CMP_GE\"}]}]}",
                 EXDEV);
        r = run_under(text, check_dup3);
        ok(r == 0xc, "SCMP_CMP_GE: %#x", r);
        snprintf(text, sizeof(text),
                 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                 "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d, \"args\": "
                 "[{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 EXDEV);
        r = run_under(text, check_personality);
        ok(r == 0x1, "personality(0xffffffff) denied, personality(PER_LINUX) allowed: %#x", r);
}

/* Without no_new_privs and CAP_SYS_ADMIN the kernel refuses, and the message says so. */
static void test_no_privilege(void)
{
        struct rctr_error err = {0};
        struct engine_seccomp *s = build("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", &err);
        int status = -1;
        pid_t pid;

        if (!s || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) {
                ok(s != NULL, "load without privilege # SKIP no_new_privs is set already");
                engine_seccomp_free(s);
                rctr_error_clear(&err);
                return;
        }
        pid = fork();
        if (pid == 0) {
                cap_t caps = cap_get_proc();
                cap_value_t admin = CAP_SYS_ADMIN;
                int r;

                if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_CLEAR) < 0 ||
                    cap_set_proc(caps) < 0)
                        _exit(250);
                r = engine_seccomp_load(s, &err);
                _exit(r == -EACCES && strstr(err.msg, "without no_new_privs or CAP_SYS_ADMIN: ")
                              ? 0
                              : 1);
        }
        if (pid > 0)
                (void)RETRY_EINTR(waitpid(pid, &status, 0));
        ok(status == 0, "load without no_new_privs or CAP_SYS_ADMIN: EACCES, explained");
        engine_seccomp_free(s);
}

static bool json_array_has(json_t *array, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach(array, i, v) {
                if (json_is_string(v) && streq(json_string_value(v), s))
                        return true;
        }
        return false;
}

static void test_features_and_flags(void)
{
        json_t *f = engine_seccomp_features();
        json_t *supported = json_object_get(f, "supportedFlags");
        int r;

        ok(json_is_true(json_object_get(f, "enabled")), "features: enabled");
        ok(json_array_has(json_object_get(f, "actions"), "SCMP_ACT_ERRNO") &&
                   !json_array_has(json_object_get(f, "actions"), "SCMP_ACT_NOTIFY"),
           "features: actions, without SCMP_ACT_NOTIFY");
        ok(json_array_size(json_object_get(f, "operators")) == 7 &&
                   json_array_has(json_object_get(f, "operators"), "SCMP_CMP_MASKED_EQ"),
           "features: operators");
        ok(json_array_has(json_object_get(f, "archs"), "SCMP_ARCH_X86_64") &&
                   json_array_has(json_object_get(f, "archs"), "SCMP_ARCH_RISCV64"),
           "features: archs");
        ok(json_array_size(json_object_get(f, "knownFlags")) == 4 &&
                   !json_array_has(supported, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
           "features: known and supported flags");
        if (json_array_has(supported, "SECCOMP_FILTER_FLAG_TSYNC") &&
            json_array_has(supported, "SECCOMP_FILTER_FLAG_LOG")) {
                r = run_under("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                              "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\"], "
                              "\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": "
                              "\"SCMP_ACT_ERRNO\"}]}",
                              check_mkdir);
                ok(r == EPERM, "loaded with the TSYNC and LOG flags: %d", r);
        } else {
                ok(true, "loaded with the TSYNC and LOG flags # SKIP not supported here");
        }
        json_decref(f);
}

int main(void)
{
        /* Loading a filter needs seccomp in this kernel; everything else does not. */
        bool have_seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;

        test_errors();
        test_good();
        test_too_big();
        if (have_seccomp) {
                test_absent();
                test_load();
                test_args();
                test_no_privilege();
                test_features_and_flags();
        } else {
                ok(true, "loading filters # SKIP this kernel has no seccomp");
        }
        return tap_done();
}
