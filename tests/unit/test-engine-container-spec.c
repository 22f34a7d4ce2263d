#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/container-spec.h"
#include "engine/spec.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

/* A NULL-terminated list of literals, as the flags take it. */
#define SV(...) ((char **)(const char *[]){__VA_ARGS__, NULL})

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *tmpdir;
static int rootfsfd = -1;

/* Field of a document by a dotted path; numbers index arrays: "mounts.3.destination". */
static json_t *jget(json_t *doc, const char *path)
{
        cleanup_free char *copy = xstrdup(path);
        char *p = copy;

        while (doc && p) {
                char *dot = strchr(p, '.');

                if (dot)
                        *dot = '\0';
                if (json_is_array(doc))
                        doc = json_array_get(doc, strtoul(p, NULL, 10));
                else
                        doc = json_object_get(doc, p);
                p = dot ? dot + 1 : NULL;
        }
        return doc;
}

static const char *jstr(json_t *doc, const char *path)
{
        const char *s = json_string_value(jget(doc, path));

        return s ? s : "(none)";
}

/* Whether the spec's seccomp profile has a rule answering name with errno code. */
static bool seccomp_denies(json_t *spec, const char *name, int code)
{
        json_t *rule, *n;
        size_t i, k;

        json_array_foreach(jget(spec, "linux.seccomp.syscalls"), i, rule) {
                if (json_integer_value(json_object_get(rule, "errnoRet")) != code)
                        continue;
                json_array_foreach(json_object_get(rule, "names"), k, n)
                        if (streq(json_string_value(n), name))
                                return true;
        }
        return false;
}

static json_int_t jint(json_t *doc, const char *path)
{
        json_t *v = jget(doc, path);

        return json_is_integer(v) ? json_integer_value(v) : -12345;
}

/* The compact JSON text of a field, for comparing arrays: ["a","b"]. */
static const char *jtext(json_t *doc, const char *path)
{
        static char out[4][4096];
        static int slot;
        json_t *v = jget(doc, path);
        char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

        slot = (slot + 1) % 4;
        snprintf(out[slot], sizeof(out[slot]), "%s", s ? s : "(none)");
        free(s);
        return out[slot];
}

/* The mount object at dst, or NULL. */
static json_t *mount_at(json_t *spec, const char *dst)
{
        size_t i;
        json_t *m;

        json_array_foreach(json_object_get(spec, "mounts"), i, m)
                if (streq(json_string_value(json_object_get(m, "destination")), dst))
                        return m;
        return NULL;
}

static bool has_string(json_t *array, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach(array, i, v)
                if (json_is_string(v) && streq(json_string_value(v), s))
                        return true;
        return false;
}

static bool has_ns(json_t *spec, const char *type)
{
        size_t i;
        json_t *v;

        json_array_foreach(jget(spec, "linux.namespaces"), i, v)
                if (streq(json_string_value(json_object_get(v, "type")), type))
                        return true;
        return false;
}

static char last_error[1024];

/* The spec for image (JSON text of the image's "config", or NULL) and f; NULL on error. */
static json_t *build_as(const char *image, const struct engine_run_flags *f, uid_t uid)
{
        json_t *img = image ? json_loads(image, 0, NULL) : NULL;
        struct rctr_error err = {0};
        json_t *spec = NULL;
        int r;

        r = engine_container_spec(img, f, rootfsfd, ID, "/store/rootfs", uid, uid, &spec, &err);
        snprintf(last_error, sizeof(last_error), "%s", r < 0 ? err.msg : "(ok)");
        if (r < 0 && !err.msg)
                snprintf(last_error, sizeof(last_error), "(error without message %d)", r);
        rctr_error_clear(&err);
        json_decref(img);
        return r < 0 ? NULL : spec;
}

static json_t *build(const char *image, const struct engine_run_flags *f)
{
        return build_as(image, f, 1000);
}

static const char *error_of(const char *image, const struct engine_run_flags *f)
{
        json_t *spec = build(image, f);

        json_decref(spec);
        return spec ? "(ok)" : last_error;
}

static void write_file(const char *dir, const char *name, const char *text)
{
        cleanup_free char *path = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "we");

        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

static void setup_rootfs(void)
{
        char tmpl[] = "/tmp/rctr-test-cspec-XXXXXX";
        cleanup_free char *rootfs = NULL, *etc = NULL, *evil = NULL;

        tmpdir = xstrdup(mkdtemp(tmpl));
        rootfs = xasprintf("%s/rootfs", tmpdir);
        etc = xasprintf("%s/etc", rootfs);
        evil = xasprintf("%s/host-etc", tmpdir);
        if (mkdir(rootfs, 0755) < 0 || mkdir(etc, 0755) < 0 || mkdir(evil, 0755) < 0)
                abort();
        write_file(etc, "passwd",
                   "root:x:0:0:root:/root:/bin/sh\n"
                   "# a comment\n"
                   "bob:x:1000:1000:Bob:/home/bob:/bin/sh\n"
                   "broken line\n"
                   "svc:x:999:998::/var/lib/svc:/sbin/nologin\n"
                   "nohome:x:1500:1500::\n");
        write_file(etc, "group",
                   "root:x:0:\n"
                   "wheel:x:10:root,bob\n"
                   "bob:x:1000:\n"
                   "staff:x:50:alice,bob\n"
                   "spacey:x:77:alice, bob\n"
                   "audio:x:63:carol,bob\n"
                   "docker:x:998:\n");
        /* What a hostile image would like us to read instead of its own files. */
        write_file(evil, "passwd", "mallory:x:4242:4242::/:/bin/sh\n");
        write_file(evil, "group", "mallorygrp:x:4243:\n");
        rootfsfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfsfd < 0)
                abort();
}

static void test_defaults(void)
{
        struct engine_run_flags f = {0};
        json_t *spec = build("{\"Cmd\": [\"sh\"]}", &f);
        struct rctr_error err = {0};
        struct engine_spec *parsed = NULL;
        cleanup_free char *text = NULL;

        ok(spec != NULL, "a minimal image builds: %s", last_error);
        if (!spec)
                return;
        is_str(jtext(spec, "process.args"), "[\"sh\"]", "args from Cmd");
        is_str(jstr(spec, "process.cwd"), "/", "cwd defaults to /");
        ok(jint(spec, "process.user.uid") == 0 && jint(spec, "process.user.gid") == 0,
           "root by default");
        is_str(jtext(spec, "process.user.additionalGids"), "[10]", "root's groups from /etc/group");
        is_str(jstr(spec, "hostname"), "0123456789ab", "hostname: 12 characters of the id");
        is_str(jstr(spec, "root.path"), "/store/rootfs", "root.path");
        ok(json_is_false(jget(spec, "root.readonly")), "root writable");
        ok(json_is_false(jget(spec, "process.terminal")), "no terminal");
        is_str(jtext(spec, "process.capabilities.bounding"),
               "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\","
               "\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\","
               "\"CAP_SYS_CHROOT\",\"CAP_SETFCAP\"]",
               "podman's default capabilities, in number order");
        ok(json_equal(jget(spec, "process.capabilities.effective"),
                      jget(spec, "process.capabilities.bounding")) &&
                   json_array_size(jget(spec, "process.capabilities.ambient")) == 0 &&
                   json_array_size(jget(spec, "process.capabilities.inheritable")) == 0,
           "root: effective = bounding, no ambient or inheritable");
        ok(has_ns(spec, "pid") && has_ns(spec, "network") && has_ns(spec, "ipc") &&
                   has_ns(spec, "uts") && has_ns(spec, "mount") && has_ns(spec, "cgroup") &&
                   !has_ns(spec, "user"),
           "new pid, net, ipc, uts, mount, cgroup namespaces; no user namespace");
        is_str(jstr(spec, "mounts.0.destination"), "/proc", "first mount /proc");
        is_str(jstr(mount_at(spec, "/sys"), "type"), "bind", "rootless: /sys bound from the host");
        ok(has_string(jget(mount_at(spec, "/sys"), "options"), "ro"), "/sys read-only");
        ok(has_string(jget(mount_at(spec, "/dev/shm"), "options"), "size=65536k"),
           "/dev/shm 64m by default");
        ok(!has_string(jget(mount_at(spec, "/dev/pts"), "options"), "gid=5"),
           "rootless with no subordinate gids: no gid=5 on devpts");
        ok(has_string(jget(spec, "linux.maskedPaths"), "/proc/kcore") &&
                   has_string(jget(spec, "linux.readonlyPaths"), "/proc/sys"),
           "masked and read-only paths");
        is_str(json_string_value(
                       json_object_get(jget(spec, "annotations"), "io.container.manager")),
               "rctr", "io.container.manager annotation");
        is_str(json_string_value(
                       json_object_get(jget(spec, "annotations"), ENGINE_ANNOTATION_STOP)),
               "SIGTERM", "default stop signal");
        is_str(jstr(spec, "linux.seccomp.defaultAction"), "SCMP_ACT_ALLOW",
               "rctr's default seccomp profile");
        ok(seccomp_denies(spec, "keyctl", EPERM) && seccomp_denies(spec, "mount", EPERM) &&
                   seccomp_denies(spec, "clone3", ENOSYS) && !seccomp_denies(spec, "read", EPERM),
           "the default profile denies keyctl, mount (EPERM), clone3 (ENOSYS), not read");
        is_str(json_string_value(
                       json_object_get(jget(spec, "linux.sysctl"), "net.ipv4.ping_group_range")),
               "0 0", "podman's default ping_group_range");
        ok(jint(spec, "process.user.umask") == 022, "umask 022");

        /* What we generate, our runtime must accept. */
        text = json_dumps(spec, JSON_COMPACT);
        ok(engine_spec_parse(text, strlen(text), &parsed, &err) == 0, "the runtime parses it: %s",
           err.msg ? err.msg : "ok");
        ok(parsed && parsed->process.n_rlimits == 2, "nofile and nproc rlimits");
        engine_spec_free(parsed);
        rctr_error_clear(&err);
        json_decref(spec);
}

struct args_case {
        const char *image, *entrypoint;
        const char *command[3];
        const char *want; /* JSON text, or the error */
};

static void test_args(void)
{
        static const struct args_case cases[] = {
                {"{\"Cmd\": [\"sh\"]}", NULL, {NULL}, "[\"sh\"]"},
                {"{\"Cmd\": [\"sh\"]}", NULL, {"ls", "-l"}, "[\"ls\",\"-l\"]"},
                {"{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\"]}", NULL, {NULL}, "[\"/ep\",\"a\"]"},
                {"{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\"]}", NULL, {"b"}, "[\"/ep\",\"b\"]"},
                /* --entrypoint drops the image's Cmd */
                {"{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\"]}", "/x", {NULL}, "[\"/x\"]"},
                {"{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\"]}", "/x", {"c"}, "[\"/x\",\"c\"]"},
                {"{\"Cmd\": [\"a\"]}", "[\"/x\", \"-y\"]", {"c"}, "[\"/x\",\"-y\",\"c\"]"},
                /* not an array of strings: one word */
                {"{}", "[\"/x\", 1]", {NULL}, "[\"[\\\"/x\\\", 1]\"]"},
                {"{}", "/bin/sh -c", {NULL}, "[\"/bin/sh -c\"]"},
                {"{\"Entrypoint\": [\"/ep\"]}", "", {"c"}, "[\"c\"]"},
                {"{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\"]}",
                 "",
                 {NULL},
                 "no command or entrypoint provided, and no CMD or ENTRYPOINT from image"},
                {"{}",
                 NULL,
                 {NULL},
                 "no command or entrypoint provided, and no CMD or ENTRYPOINT from image"},
                {NULL, NULL, {"true"}, "[\"true\"]"},
                {"{\"Entrypoint\": [\"\"], \"Cmd\": [\"a\"]}", NULL, {NULL}, "[\"a\"]"},
                {"{\"Cmd\": \"sh\"}", NULL, {NULL}, "image config: Cmd: expected an array"},
                {"{\"Cmd\": [\"sh\", 2]}", NULL, {NULL}, "image config: Cmd[1]: expected a string"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct engine_run_flags f = {.entrypoint = cases[i].entrypoint,
                                             .command = (char **)cases[i].command};
                json_t *spec = build(cases[i].image, &f);

                is_str(spec ? jtext(spec, "process.args") : last_error, cases[i].want,
                       "args case %zu: image %s, --entrypoint %s, command %s", i,
                       cases[i].image ? cases[i].image : "none",
                       cases[i].entrypoint ? cases[i].entrypoint : "none",
                       cases[i].command[0] ? cases[i].command[0] : "none");
                json_decref(spec);
        }
}

static void test_init(void)
{
        char **cmd = SV("sleep", "1");
        struct engine_run_flags f = {.command = cmd, .init = true, .init_path = "/usr/libexec/i"};
        json_t *spec = build("{}", &f);

        is_str(spec ? jtext(spec, "process.args") : last_error,
               "[\"/run/rctr-init\",\"--\",\"sleep\",\"1\"]", "--init prefixes the init");
        is_str(jstr(mount_at(spec, ENGINE_CONTAINER_INIT_PATH), "source"), "/usr/libexec/i",
               "--init binds the binary");
        json_decref(spec);
        f.init_path = NULL;
        is_str(error_of("{}", &f), "--init: no init binary to run", "--init without a binary");
}

static const char *env_value(json_t *spec, const char *name)
{
        size_t i, n = strlen(name);
        json_t *v;

        json_array_foreach(jget(spec, "process.env"), i, v) {
                const char *e = json_string_value(v);

                if (strncmp(e, name, n) == 0 && e[n] == '=')
                        return e + n + 1;
        }
        return "(unset)";
}

static void test_env(void)
{
        char **env = SV("A=flag", "FROM_HOST", "NOT_IN_HOST", "B=");
        char **lines = SV("# comment", "", "  C=file", "A=file", "D=file", "FROM_HOST");
        struct engine_run_flags f = {.env = env, .env_files_lines = lines, .tty = true};
        json_t *spec;

        setenv("FROM_HOST", "host value", 1);
        unsetenv("NOT_IN_HOST");
        spec = build("{\"Cmd\": [\"sh\"], \"Env\": [\"PATH=/img/bin\", \"A=image\", \"D=image\", "
                     "\"E=image\", \"bogus\"]}",
                     &f);
        ok(spec != NULL, "env builds: %s", last_error);
        is_str(env_value(spec, "PATH"), "/img/bin", "image PATH replaces the default");
        is_str(env_value(spec, "A"), "flag", "-e beats env-file and image");
        is_str(env_value(spec, "C"), "file", "env-file line with leading blanks");
        is_str(env_value(spec, "D"), "file", "env-file beats image");
        is_str(env_value(spec, "E"), "image", "image env kept");
        is_str(env_value(spec, "B"), "", "empty value kept");
        is_str(env_value(spec, "FROM_HOST"), "host value", "-e KEY takes the host's value");
        is_str(env_value(spec, "NOT_IN_HOST"), "(unset)", "-e KEY unset on the host: dropped");
        is_str(env_value(spec, "bogus"), "(unset)", "image entry without = dropped");
        is_str(env_value(spec, "TERM"), "xterm", "TERM with a tty");
        is_str(env_value(spec, "container"), "rctr", "container=rctr");
        is_str(env_value(spec, "HOSTNAME"), "0123456789ab", "HOSTNAME");
        is_str(env_value(spec, "HOME"), "/root", "HOME from passwd");
        is_str(jstr(spec, "process.env.0"), "PATH=/img/bin", "PATH first");
        ok(json_is_true(jget(spec, "process.terminal")), "terminal with --tty");
        json_decref(spec);

        f = (struct engine_run_flags){0};
        spec = build("{\"Cmd\": [\"sh\"], \"Env\": [\"HOME=/img\"]}", &f);
        is_str(env_value(spec, "TERM"), "(unset)", "no TERM without a tty");
        is_str(env_value(spec, "HOME"), "/img", "image HOME wins over passwd");
        is_str(env_value(spec, "PATH"),
               "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "default PATH");
        json_decref(spec);

        {
                char **bad = SV("=x");
                char **badline = SV("A B=1");

                f = (struct engine_run_flags){.env = bad};
                is_str(error_of("{\"Cmd\": [\"sh\"]}", &f), "invalid --env =x: empty variable name",
                       "-e =x");
                f = (struct engine_run_flags){.env_files_lines = badline};
                is_str(error_of("{\"Cmd\": [\"sh\"]}", &f),
                       "invalid --env-file A B=1: whitespace in a variable name", "env-file A B=1");
        }
}

static void test_workdir(void)
{
        struct engine_run_flags f = {0};
        json_t *spec = build("{\"Cmd\": [\"sh\"], \"WorkingDir\": \"app\"}", &f);

        is_str(jstr(spec, "process.cwd"), "/app", "relative image WorkingDir from /");
        json_decref(spec);
        f.workdir = "/w";
        spec = build("{\"Cmd\": [\"sh\"], \"WorkingDir\": \"/app\"}", &f);
        is_str(jstr(spec, "process.cwd"), "/w", "-w beats the image");
        json_decref(spec);
        f.workdir = "w";
        is_str(error_of("{\"Cmd\": [\"sh\"]}", &f), "invalid --workdir w: not an absolute path",
               "relative -w");
}

struct user_case {
        const char *image_user, *user;
        const char *group_add[3];
        const char *want; /* "uid gid [gids]" or the error */
};

static void test_user(void)
{
        static const struct user_case cases[] = {
                {NULL, "bob", {NULL}, "1000 1000 [10,50,63]"},
                {NULL, "bob:docker", {NULL}, "1000 998 []"},
                {NULL, "bob:7", {NULL}, "1000 7 []"},
                {NULL, "1000", {NULL}, "1000 1000 [10,50,63]"},
                {NULL, "4321", {NULL}, "4321 0 []"},
                {NULL, "4321:4321", {NULL}, "4321 4321 []"},
                {NULL, ":50", {NULL}, "0 50 []"},
                {"svc", NULL, {NULL}, "999 998 []"},
                {"svc", "bob", {NULL}, "1000 1000 [10,50,63]"},
                {NULL, "svc", {"wheel", "2000"}, "999 998 [10,2000]"},
                {NULL,
                 "nosuch",
                 {NULL},
                 "unable to find user nosuch: no matching entries in passwd file"},
                {"nosuch",
                 NULL,
                 {NULL},
                 "unable to find user nosuch: no matching entries in passwd file"},
                {NULL,
                 "bob:nogroup",
                 {NULL},
                 "unable to find group nogroup: no matching entries in group file"},
                {NULL,
                 "bob",
                 {"nogroup"},
                 "unable to find group nogroup: no matching entries in group file"},
                {NULL, "4294967295", {NULL}, "invalid user 4294967295: out of range"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char **cmd = SV("id");
                struct engine_run_flags f = {.user = cases[i].user,
                                             .command = cmd,
                                             .group_add = (char **)cases[i].group_add};
                cleanup_free char *image =
                        cases[i].image_user ? xasprintf("{\"User\": \"%s\"}", cases[i].image_user)
                                            : xstrdup("{}");
                json_t *spec = build(image, &f);
                char got[256];

                if (spec)
                        snprintf(got, sizeof(got), "%lld %lld %s",
                                 (long long)jint(spec, "process.user.uid"),
                                 (long long)jint(spec, "process.user.gid"),
                                 jtext(spec, "process.user.additionalGids"));
                is_str(spec ? got : last_error, cases[i].want, "user case %zu: image %s, -u %s", i,
                       cases[i].image_user ? cases[i].image_user : "none",
                       cases[i].user ? cases[i].user : "none");
                json_decref(spec);
        }

        {
                char **cmd = SV("id");
                struct engine_run_flags f = {.user = "nohome", .command = cmd};
                json_t *spec = build("{}", &f);

                is_str(env_value(spec, "HOME"), "/", "a user without a home gets HOME=/");
                json_decref(spec);
                f.user = "bob";
                spec = build("{}", &f);
                is_str(env_value(spec, "HOME"), "/home/bob", "HOME of -u bob");
                ok(json_array_size(jget(spec, "process.capabilities.effective")) == 0 &&
                           json_array_size(jget(spec, "process.capabilities.bounding")) == 11,
                   "non-root user: bounding kept, effective empty");
                json_decref(spec);
        }
}

/* The rootfs's /etc is a symlink to a host directory: it must resolve inside the rootfs. */
static void test_user_symlink_escape(void)
{
        char tmpl[] = "/tmp/rctr-test-cspec-evil-XXXXXX";
        cleanup_free char *root2 = xstrdup(mkdtemp(tmpl));
        cleanup_free char *link = xasprintf("%s/etc", root2);
        cleanup_free char *target = xasprintf("%s/host-etc", tmpdir);
        cleanup_free char *link2 = xasprintf("%s/up", root2);
        char **cmd = SV("id");
        struct engine_run_flags f = {.user = "mallory", .command = cmd};
        int saved = rootfsfd;
        json_t *spec;

        if (symlink(target, link) < 0 || symlink("../../../../../../..", link2) < 0)
                abort();
        rootfsfd = open(root2, O_PATH | O_DIRECTORY | O_CLOEXEC);
        spec = build("{}", &f);
        is_str(spec ? "(built)" : last_error,
               "unable to find user mallory: no matching entries in passwd file",
               "an absolute /etc symlink does not reach the host's passwd");
        json_decref(spec);
        f.user = "0";
        f.group_add = SV("mallorygrp");
        spec = build("{}", &f);
        is_str(spec ? "(built)" : last_error,
               "unable to find group mallorygrp: no matching entries in group file",
               "nor the host's group file");
        json_decref(spec);
        f.group_add = NULL;
        spec = build("{}", &f);
        ok(spec && jint(spec, "process.user.uid") == 0, "no passwd at all: root still works: %s",
           last_error);
        json_decref(spec);
        close(rootfsfd);
        rootfsfd = saved;
        unlink(link);
        unlink(link2);
        rmdir(root2);
}

static void test_caps(void)
{
        char **cmd = SV("sh");
        struct engine_run_flags f = {.command = cmd};
        json_t *spec;

        f.cap_add = SV("net_admin", "CAP_SYS_PTRACE");
        f.cap_drop = SV("chown", "cap_kill");
        spec = build("{}", &f);
        ok(spec && has_string(jget(spec, "process.capabilities.bounding"), "CAP_NET_ADMIN") &&
                   has_string(jget(spec, "process.capabilities.effective"), "CAP_SYS_PTRACE") &&
                   !has_string(jget(spec, "process.capabilities.bounding"), "CAP_CHOWN") &&
                   !has_string(jget(spec, "process.capabilities.permitted"), "CAP_KILL") &&
                   json_array_size(jget(spec, "process.capabilities.bounding")) == 11,
           "--cap-add and --cap-drop, with and without CAP_, any case: %s", last_error);
        json_decref(spec);

        f.cap_add = SV("NET_RAW");
        f.cap_drop = SV("ALL");
        spec = build("{}", &f);
        is_str(jtext(spec, "process.capabilities.bounding"), "[\"CAP_NET_RAW\"]",
               "--cap-drop ALL --cap-add NET_RAW");
        json_decref(spec);

        f.cap_add = SV("NET_RAW");
        f.cap_drop = NULL;
        f.user = "bob";
        spec = build("{}", &f);
        is_str(jtext(spec, "process.capabilities.ambient"), "[\"CAP_NET_RAW\"]",
               "non-root: added capabilities are ambient");
        is_str(jtext(spec, "process.capabilities.effective"), "[\"CAP_NET_RAW\"]",
               "non-root: and effective");
        json_decref(spec);
        f.user = NULL;

        f.cap_add = SV("ALL");
        f.cap_drop = SV("ALL");
        is_str(error_of("{}", &f),
               "invalid --cap-add ALL: all capabilities cannot be both added and dropped",
               "ALL both ways");
        f.cap_add = SV("kill");
        f.cap_drop = SV("KILL");
        is_str(error_of("{}", &f),
               "invalid --cap-add CAP_KILL: capability cannot be both added and dropped",
               "one both ways");
        f.cap_add = SV("fly");
        f.cap_drop = NULL;
        is_str(error_of("{}", &f), "invalid --cap-add fly: unknown capability CAP_FLY",
               "unknown capability");

        f = (struct engine_run_flags){.command = cmd, .privileged = true};
        spec = build("{}", &f);
        ok(spec && json_array_size(jget(spec, "process.capabilities.bounding")) > 11 &&
                   !jget(spec, "linux.maskedPaths") && !jget(spec, "linux.readonlyPaths") &&
                   has_string(jget(mount_at(spec, "/sys"), "options"), "rw"),
           "--privileged: more capabilities, nothing masked, /sys writable");
        json_decref(spec);
}

static void test_mounts(void)
{
        char **cmd = SV("sh");
        cleanup_free char *v1 = xasprintf("%s:/data:ro,z,U", tmpdir);
        cleanup_free char *v2 = xasprintf("%s:/data/sub//./x/", tmpdir);
        cleanup_free char *m1 = xasprintf("type=bind,src=%s,target=/m,readonly,"
                                          "bind-propagation=rslave",
                                          tmpdir);
        cleanup_free char *shm = xasprintf("%s:/dev/shm", tmpdir);
        struct engine_run_flags f = {.command = cmd};
        json_t *spec, *m;

        f.volumes = SV(v1, v2, shm);
        f.mounts = SV(m1, "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700");
        f.tmpfs = SV("/run:size=64m,exec");
        spec = build("{}", &f);
        ok(spec != NULL, "mounts build: %s", last_error);
        m = mount_at(spec, "/data");
        is_str(jtext(m, "options"), "[\"rbind\",\"ro\",\"rprivate\"]", "-v ro,z,U options");
        is_str(jstr(m, "source"), tmpdir, "-v source");
        ok(mount_at(spec, "/data/sub/x") != NULL, "destination cleaned");
        is_str(jtext(mount_at(spec, "/m"), "options"), "[\"rbind\",\"ro\",\"rslave\"]",
               "--mount type=bind");
        is_str(jtext(mount_at(spec, "/t"), "options"),
               "[\"rw\",\"noexec\",\"nosuid\",\"nodev\",\"tmpcopyup\",\"size=1m\",\"mode=700\"]",
               "--mount type=tmpfs");
        is_str(jtext(mount_at(spec, "/run"), "options"),
               "[\"rw\",\"exec\",\"nosuid\",\"nodev\",\"tmpcopyup\",\"size=64m\"]", "--tmpfs");
        is_str(jstr(mount_at(spec, "/dev/shm"), "type"), "bind", "-v on /dev/shm replaces ours");
        is_str(json_string_value(
                       json_object_get(jget(spec, "annotations"), ENGINE_ANNOTATION_CHOWN)),
               "[\"/data\"]", "U recorded for the caller");
        {
                size_t i, data = 0, sub = 0;
                json_t *x;

                json_array_foreach(jget(spec, "mounts"), i, x) {
                        if (streq(jstr(x, "destination"), "/data"))
                                data = i;
                        if (streq(jstr(x, "destination"), "/data/sub/x"))
                                sub = i;
                }
                ok(data < sub, "parents mounted before children");
        }
        json_decref(spec);

        struct {
                const char *kind, *spec, *want;
        } errors[] = {
                {"v", "/a:/b:q", "invalid --volume /a:/b:q: unknown option q"},
                {"v", "/tmp:/b:ro,rw",
                 "invalid --volume /tmp:/b:ro,rw: conflicting options ro and rw"},
                {"v", "/tmp:/b:z,z", "invalid --volume /tmp:/b:z,z: option z given twice"},
                {"v", "/tmp:b", "invalid --volume /tmp:b: destination b is not an absolute path"},
                {"v", "/tmp:/", "invalid --volume /tmp:/: cannot mount on /"},
                {"v", "vol:/b", "invalid --volume vol:/b: source vol is not an absolute path"},
                {"v", "/b",
                 "invalid --volume /b: expected SOURCE:DESTINATION[:OPTIONS] (named "
                 "and anonymous volumes are resolved before)"},
                {"v", "/tmp:/b:O", "invalid --volume /tmp:/b:O: option O is not supported"},
                {"v", "/nonexistent-rctr:/b",
                 "invalid --volume /nonexistent-rctr:/b: source /nonexistent-rctr: No such file "
                 "or directory"},
                {"t", "/x:size=", "invalid --tmpfs /x:size=: option size= has no value"},
                {"t", "/x:mode=999",
                 "invalid --tmpfs /x:mode=999: option mode=999: mode is not "
                 "octal"},
                {"t", "/x:rbind", "invalid --tmpfs /x:rbind: unknown option rbind"},
                {"m", "type=volume,dst=/x",
                 "invalid --mount type=volume,dst=/x: type volume is "
                 "not supported (only bind and tmpfs)"},
                {"m", "type=bind,dst=/x", "invalid --mount type=bind,dst=/x: no source"},
                {"m", "type=tmpfs", "invalid --mount type=tmpfs: no destination"},
                {"m", "dst=/x", "invalid --mount dst=/x: no type (bind or tmpfs)"},
                {"m", "type=tmpfs,dst=/x,ro=maybe",
                 "invalid --mount type=tmpfs,dst=/x,ro=maybe: ro: expected true or false, not "
                 "maybe"},
                {"m", "type=tmpfs,dst=/x,color=red",
                 "invalid --mount type=tmpfs,dst=/x,color=red: unknown option color"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
                char **one = SV((char *)errors[i].spec);

                f = (struct engine_run_flags){.command = cmd};
                if (errors[i].kind[0] == 'v')
                        f.volumes = one;
                else if (errors[i].kind[0] == 't')
                        f.tmpfs = one;
                else
                        f.mounts = one;
                is_str(error_of("{}", &f), errors[i].want, "mount error %zu", i);
        }

        f = (struct engine_run_flags){.command = cmd};
        f.tmpfs = SV("/x", "/x/");
        is_str(error_of("{}", &f), "invalid --tmpfs /x/: duplicate mount destination /x",
               "duplicate destination");
}

static void test_read_only(void)
{
        char **cmd = SV("sh");
        struct engine_run_flags f = {.command = cmd,
                                     .read_only = true,
                                     .read_only_tmpfs = true,
                                     .tmpfs = SV("/tmp:size=1m"),
                                     .shm_size = "1g"};
        json_t *spec = build("{}", &f);

        ok(json_is_true(jget(spec, "root.readonly")), "--read-only: root.readonly");
        ok(mount_at(spec, "/run") && mount_at(spec, "/var/tmp"), "tmpfs on /run and /var/tmp");
        ok(has_string(jget(mount_at(spec, "/tmp"), "options"), "size=1m"),
           "the user's /tmp wins over ours");
        ok(has_string(jget(mount_at(spec, "/dev/shm"), "options"), "size=1073741824"),
           "--shm-size 1g");
        json_decref(spec);
        f.read_only_tmpfs = false;
        f.tmpfs = NULL;
        spec = build("{}", &f);
        ok(spec && !mount_at(spec, "/run"), "--read-only-tmpfs=false: none");
        json_decref(spec);
        f.shm_size = "lots";
        is_str(error_of("{}", &f), "invalid --shm-size lots: expected a size such as 64m",
               "bad --shm-size");
}

static void test_namespaces(void)
{
        char **cmd = SV("sh");
        struct engine_run_flags f = {.command = cmd,
                                     .pid_mode = "host",
                                     .network_mode = "host",
                                     .ipc_mode = "host",
                                     .uts_mode = "host"};
        json_t *spec = build("{}", &f);

        ok(spec && !has_ns(spec, "pid") && !has_ns(spec, "network") && !has_ns(spec, "ipc") &&
                   !has_ns(spec, "uts") && has_ns(spec, "mount"),
           "host pid, network, ipc, uts: %s", last_error);
        ok(spec && !jget(spec, "hostname"), "no hostname in the host's UTS namespace");
        is_str(jstr(mount_at(spec, "/proc"), "type"), "bind", "rootless host pid: /proc bound");
        is_str(jstr(mount_at(spec, "/dev/mqueue"), "type"), "bind", "host ipc: mqueue bound");
        ok(spec && !json_object_get(jget(spec, "linux.sysctl"), "net.ipv4.ping_group_range"),
           "no ping_group_range for the host's network");
        json_decref(spec);

        f = (struct engine_run_flags){.command = cmd, .pid_mode = "container:x"};
        is_str(error_of("{}", &f), "invalid --pid container:x: only host and private are supported",
               "--pid container:");
        f = (struct engine_run_flags){.command = cmd, .uts_mode = "host", .hostname = "h"};
        is_str(error_of("{}", &f),
               "invalid --hostname h: cannot set the hostname in the host's UTS namespace",
               "--hostname with --uts host");
        f = (struct engine_run_flags){.command = cmd, .hostname = "web"};
        spec = build("{}", &f);
        is_str(jstr(spec, "hostname"), "web", "--hostname");
        json_decref(spec);

        f = (struct engine_run_flags){.command = cmd,
                                      .userns_mode = "keep-id",
                                      .userns_uids = 65537,
                                      .userns_gids = 65537};
        spec = build("{}", &f);
        ok(spec && has_ns(spec, "user"), "keep-id: a user namespace: %s", last_error);
        is_str(jtext(spec, "linux.uidMappings"),
               "[{\"containerID\":0,\"hostID\":1,\"size\":1000},"
               "{\"containerID\":1000,\"hostID\":0,\"size\":1},"
               "{\"containerID\":1001,\"hostID\":1001,\"size\":64536}]",
               "keep-id uid mappings");
        ok(jint(spec, "process.user.uid") == 1000 && jint(spec, "process.user.gid") == 1000,
           "keep-id runs as the user's ids");
        json_decref(spec);
        f.userns_uids = f.userns_gids = 1;
        spec = build("{}", &f);
        is_str(jtext(spec, "linux.gidMappings"), "[{\"containerID\":1000,\"hostID\":0,\"size\":1}]",
               "keep-id without subordinate ids");
        json_decref(spec);
        f.userns_mode = "nomap";
        is_str(error_of("{}", &f),
               "invalid --userns nomap: no subordinate ids (see /etc/subuid and /etc/subgid)",
               "nomap without subordinate ids");
        f.userns_uids = f.userns_gids = 65537;
        spec = build("{}", &f);
        is_str(jtext(spec, "linux.uidMappings"),
               "[{\"containerID\":0,\"hostID\":1,\"size\":65536}]", "nomap");
        ok(has_string(jget(mount_at(spec, "/dev/pts"), "options"), "gid=5"),
           "gid 5 mapped: devpts gid=5");
        json_decref(spec);
        spec = build_as("{}", &f, 0);
        is_str(spec ? "(built)" : last_error,
               "invalid --userns nomap: only supported when running rootless", "nomap as root");
        json_decref(spec);
        f.userns_mode = "auto";
        is_str(error_of("{}", &f),
               "invalid --userns auto: only host, keep-id and nomap are supported", "auto");

        f = (struct engine_run_flags){.command = cmd};
        spec = build_as("{}", &f, 0);
        is_str(jstr(mount_at(spec, "/sys"), "type"), "sysfs", "root: a new sysfs");
        json_decref(spec);
}

static void test_limits(void)
{
        char **cmd = SV("sh");
        struct engine_run_flags f = {.command = cmd};
        json_t *spec;

        f.ulimits = SV("nofile=1024:2048", "core=unlimited", "nproc=5");
        f.sysctls = SV("net/ipv4/ip_forward=1", "kernel.shmmax=4096");
        f.devices = SV("/dev/null:/dev/mynull:rw", "/dev/zero");
        spec = build("{}", &f);
        ok(spec != NULL, "limits build: %s", last_error);
        is_str(jtext(spec, "process.rlimits"),
               "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":2048},"
               "{\"type\":\"RLIMIT_NPROC\",\"soft\":5,\"hard\":5},"
               "{\"type\":\"RLIMIT_CORE\",\"soft\":9223372036854775807,"
               "\"hard\":9223372036854775807}]",
               "--ulimit replaces the defaults, unlimited is the maximum");
        is_str(json_string_value(
                       json_object_get(jget(spec, "linux.sysctl"), "net.ipv4.ip_forward")),
               "1", "--sysctl with slashes");
        is_str(jstr(spec, "linux.devices.0.path"), "/dev/mynull", "--device container path");
        ok(jint(spec, "linux.devices.0.major") == 1 && jint(spec, "linux.devices.0.minor") == 3 &&
                   streq(jstr(spec, "linux.devices.0.type"), "c"),
           "--device numbers from the host");
        is_str(jstr(spec, "linux.devices.1.path"), "/dev/zero", "--device host path only");
        json_decref(spec);

        struct {
                char kind;
                const char *spec, *want;
        } errors[] = {
                {'u', "nofile=2048:1024",
                 "invalid --ulimit nofile=2048:1024: soft limit above the hard limit"},
                {'u', "files=1", "invalid --ulimit files=1: unknown limit files"},
                {'u', "nofile", "invalid --ulimit nofile: expected NAME=SOFT[:HARD]"},
                {'u', "nofile=x", "invalid --ulimit nofile=x: not a number"},
                {'s', "kernel.panic=1",
                 "invalid --sysctl kernel.panic=1: kernel.panic is not namespaced (only "
                 "kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.* and kernel.domainname "
                 "are)"},
                {'s', "net.ipv4", "invalid --sysctl net.ipv4: expected NAME=VALUE"},
                {'d', "/dev/null:/x:rwz",
                 "invalid --device /dev/null:/x:rwz: permissions rwz are not a subset of rwm"},
                {'d', "/etc/passwd", "invalid --device /etc/passwd: /etc/passwd is not a device"},
                {'d', "null", "invalid --device null: not an absolute path"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
                char **one = SV((char *)errors[i].spec);

                f = (struct engine_run_flags){.command = cmd};
                if (errors[i].kind == 'u')
                        f.ulimits = one;
                else if (errors[i].kind == 's')
                        f.sysctls = one;
                else
                        f.devices = one;
                is_str(error_of("{}", &f), errors[i].want, "limit error %zu", i);
        }
        f = (struct engine_run_flags){
                .command = cmd, .network_mode = "host", .sysctls = SV("net.core.somaxconn=1")};
        is_str(error_of("{}", &f),
               "invalid --sysctl net.core.somaxconn=1: not allowed in the host's network namespace",
               "net sysctl with the host's network");
}

static void test_annotations(void)
{
        char **cmd = SV("sh");
        struct engine_run_flags f = {.command = cmd,
                                     .labels = SV("a=label", "flag"),
                                     .annotations = SV("b=ann"),
                                     .stop_signal = "usr1"};
        json_t *spec = build("{\"Labels\": {\"a\": \"image\", \"c\": \"image\"}, "
                             "\"StopSignal\": \"SIGQUIT\"}",
                             &f);
        json_t *a = jget(spec, "annotations");

        is_str(json_string_value(json_object_get(a, "a")), "label", "--label beats image label");
        is_str(json_string_value(json_object_get(a, "c")), "image", "image label kept");
        is_str(json_string_value(json_object_get(a, "flag")), "", "--label without value");
        is_str(json_string_value(json_object_get(a, "b")), "ann", "--annotation");
        is_str(json_string_value(json_object_get(a, ENGINE_ANNOTATION_STOP)), "SIGUSR1",
               "--stop-signal beats the image's");
        json_decref(spec);
        f.stop_signal = NULL;
        spec = build("{\"StopSignal\": \"SIGQUIT\"}", &f);
        is_str(json_string_value(
                       json_object_get(jget(spec, "annotations"), ENGINE_ANNOTATION_STOP)),
               "SIGQUIT", "image StopSignal");
        json_decref(spec);
        f.stop_signal = "9";
        spec = build("{}", &f);
        is_str(json_string_value(
                       json_object_get(jget(spec, "annotations"), ENGINE_ANNOTATION_STOP)),
               "SIGKILL", "a signal number");
        json_decref(spec);
        f.stop_signal = "RTMIN+3";
        spec = build("{}", &f);
        is_str(json_string_value(
                       json_object_get(jget(spec, "annotations"), ENGINE_ANNOTATION_STOP)),
               "SIGRTMIN+3", "a real-time signal");
        json_decref(spec);
        f.stop_signal = "SIGFOO";
        is_str(error_of("{}", &f), "invalid --stop-signal SIGFOO: unknown signal", "bad signal");
        f.stop_signal = NULL;
        f.annotations = SV("novalue");
        is_str(error_of("{}", &f), "invalid --annotation novalue: expected KEY=VALUE",
               "annotation without =");
}

static void test_seccomp_default(void)
{
        struct engine_run_flags f = {.command = SV("true"), .cap_add = SV("SYS_ADMIN")};
        json_auto_t *spec = build(NULL, &f);

        ok(spec && !seccomp_denies(spec, "mount", EPERM) && seccomp_denies(spec, "keyctl", EPERM),
           "--cap-add SYS_ADMIN lifts the mount denial, not keyctl's");
        json_decref(spec);
        f.cap_add = NULL;
        f.privileged = true;
        spec = build(NULL, &f);
        ok(spec && !jget(spec, "linux.seccomp"), "--privileged: no seccomp profile");
}

static void test_seccomp(void)
{
        test_seccomp_default();
        char **cmd = SV("sh");
        cleanup_free char *path = xasprintf("%s/seccomp.json", tmpdir);
        struct engine_run_flags f = {.command = cmd, .seccomp_profile = path};
        json_t *spec;

        write_file(tmpdir, "seccomp.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
        spec = build("{}", &f);
        is_str(jstr(spec, "linux.seccomp.defaultAction"), "SCMP_ACT_ALLOW", "seccomp profile file");
        json_decref(spec);
        f.seccomp_profile = "unconfined";
        spec = build("{}", &f);
        ok(spec && !jget(spec, "linux.seccomp"), "seccomp=unconfined");
        json_decref(spec);
        write_file(tmpdir, "seccomp.json", "[1]");
        f.seccomp_profile = path;
        ok(strstr(error_of("{}", &f), "not a JSON object") != NULL, "a profile must be an object");
}

int main(void)
{
        json_set_alloc_funcs(xmalloc, free);
        setup_rootfs();
        test_defaults();
        test_args();
        test_init();
        test_env();
        test_workdir();
        test_user();
        test_user_symlink_escape();
        test_caps();
        test_mounts();
        test_read_only();
        test_namespaces();
        test_limits();
        test_annotations();
        test_seccomp();
        {
                cleanup_error struct rctr_error err = {0};

                close(rootfsfd);
                fs_remove_tree_at(AT_FDCWD, tmpdir, &err);
        }
        free(tmpdir);
        return tap_done();
}
