#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "image/auth.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rctr-test-auth.XXXXXX";

/* base64("user:pass") etc. */
#define B64_USER_PASS  "dXNlcjpwYXNz"
#define B64_REPO_CREDS "cmVwbzpyZXBvcGFzcw==" /* repo:repopass */
#define B64_NS_CREDS   "bnM6bnNwYXNz"         /* ns:nspass */
#define B64_HUB        "aHViOmh1YnBhc3M="     /* hub:hubpass */
#define B64_COLON_PASS "dTpwOmE6c3M="         /* u:p:a:ss */
#define B64_NUL_PAD    "dTpwAAA="             /* u:p\0\0 */
#define B64_NO_COLON   "bm9jb2xvbg=="         /* nocolon */

static int find(const char *json, const char *name, struct image_auth_creds *c,
                struct rctr_error *err)
{
        return image_auth_find(json, strlen(json), name, c, err);
}

static void check_find(const char *json, const char *name, const char *user, const char *pass,
                       const char *key, const char *desc)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_auth_creds struct image_auth_creds c = {0};
        int r = find(json, name, &c, &err);

        if (!user) {
                ok(r == 0 && !c.username, "%s", desc);
                return;
        }
        ok(r == 1 && c.username && streq(c.username, user) && streq(c.password, pass) &&
                   streq(c.key, key),
           "%s", desc);
        if (r != 1)
                printf("#   r=%d err=%s\n", r, err.msg ? err.msg : "");
        else if (!streq(c.key, key) || !streq(c.username, user))
                printf("#   got %s:%s from %s\n", c.username, c.password, c.key);
}

static void test_find(void)
{
        const char *j = "{\"auths\": {"
                        "\"quay.io\": {\"auth\": \"" B64_USER_PASS "\"},"
                        "\"quay.io/ns\": {\"auth\": \"" B64_NS_CREDS "\"},"
                        "\"quay.io/ns/repo\": {\"auth\": \"" B64_REPO_CREDS "\"},"
                        "\"https://legacy.example:5000/v1/\": {\"auth\": \"" B64_USER_PASS "\"},"
                        "\"http://plain.example\": {\"auth\": \"" B64_USER_PASS "\"},"
                        "\"other.example/ns\": {\"auth\": \"" B64_NS_CREDS "\"},"
                        "\"colon.example\": {\"auth\": \"" B64_COLON_PASS "\"},"
                        "\"nul.example\": {\"auth\": \"" B64_NUL_PAD "\"},"
                        "\"nocolon.example\": {\"auth\": \"" B64_NO_COLON "\"},"
                        "\"empty.example\": {},"
                        "\"localhost:5000\": {\"auth\": \"" B64_USER_PASS "\", \"email\": \"x\"}"
                        "}, \"credHelpers\": {\"helper.example\": \"secretservice\"}}";

        check_find(j, "quay.io", "user", "pass", "quay.io", "host key");
        check_find(j, "quay.io/ns/repo", "repo", "repopass", "quay.io/ns/repo",
                   "the repository key wins over namespace and host");
        check_find(j, "quay.io/ns/other", "ns", "nspass", "quay.io/ns", "a namespace key");
        check_find(j, "quay.io/elsewhere/x", "user", "pass", "quay.io",
                   "another namespace falls back to the host");
        check_find(j, "legacy.example:5000/a/b", "user", "pass", "https://legacy.example:5000/v1/",
                   "a URL key names its host");
        check_find(j, "plain.example", "user", "pass", "http://plain.example",
                   "an http:// key names its host");
        check_find(j, "other.example/x", NULL, NULL, NULL,
                   "a path key without scheme is only an exact or parent match");
        check_find(j, "colon.example", "u", "p:a:ss", "colon.example",
                   "the password may contain ':'");
        check_find(j, "nul.example", "u", "p", "nul.example", "trailing NULs are dropped");
        check_find(j, "nocolon.example", NULL, NULL, NULL, "an auth without ':' is skipped");
        check_find(j, "empty.example", NULL, NULL, NULL, "an entry without auth is skipped");
        check_find(j, "helper.example", NULL, NULL, NULL, "a credential helper entry is not used");
        check_find(j, "localhost:5000/busybox", "user", "pass", "localhost:5000",
                   "host with port; unknown entry fields are fine");
        check_find(j, "localhost:5001", NULL, NULL, NULL, "another port is another registry");
        check_find(j, "unknown.example", NULL, NULL, NULL, "no entry");
}

static void test_find_docker_io(void)
{
        static const char *const keys[] = {"docker.io", "index.docker.io", "registry-1.docker.io",
                                           "https://index.docker.io/v1/",
                                           "https://registry-1.docker.io"};

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                cleanup_free char *j =
                        xasprintf("{\"auths\": {\"%s\": {\"auth\": \"" B64_HUB "\"}}}", keys[i]);

                check_find(j, "docker.io/library/alpine", "hub", "hubpass", keys[i],
                           "docker.io found under its alias key");
        }
}

static void test_find_errors(void)
{
        static const struct {
                const char *json;
                int r;
                const char *msg;
        } bad[] = {
                {"{\"auths\": {\"q.io\": {\"auth\": \"!!!\"}}}", -EBADMSG,
                 "auths.\"q.io\".auth: invalid base64"},
                {"{\"auths\": {\"q.io\": {\"auth\": 5}}}", -EBADMSG,
                 "auths.\"q.io\".auth: expected a string"},
                {"{\"auths\": {\"q.io\": []}}", -EBADMSG, "auths.\"q.io\": expected an object"},
                {"{\"auths\": []}", -EBADMSG, "auths: expected an object"},
                {"[]", -EBADMSG, "expected a JSON object"},
                {"{\"auths\": {", -EBADMSG, NULL},
                {"{\"auths\": {}, \"auths\": {}}", -EBADMSG, NULL}, /* duplicate keys */
                {"{}", 0, NULL},
                {"{\"credsStore\": \"desktop\"}", 0, NULL},
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                cleanup_error struct rctr_error err = {0};
                cleanup_auth_creds struct image_auth_creds c = {0};
                int r = find(bad[i].json, "q.io", &c, &err);

                ok(r == bad[i].r && !c.username, "find in %s: %d", bad[i].json, bad[i].r);
                if (bad[i].msg)
                        is_str(err.msg, bad[i].msg, "message for %s", bad[i].json);
        }
}

static char *path_in(const char *rel)
{
        return xasprintf("%s/%s", tmpdir, rel);
}

static void write_file(const char *rel, const char *text)
{
        cleanup_free char *p = path_in(rel);
        cleanup_free char *dir = xstrdup(p);
        FILE *f;

        *strrchr(dir, '/') = '\0';
        for (char *s = dir + strlen(tmpdir) + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        mkdir(dir, 0700);
                        *s = '/';
                }
        mkdir(dir, 0700);
        f = fopen(p, "we");
        fputs(text, f);
        fclose(f);
}

static void set_env(void)
{
        cleanup_free char *home = path_in("home"), *run = path_in("run"), *cfg = path_in("cfg");

        setenv("HOME", home, 1);
        setenv("XDG_RUNTIME_DIR", run, 1);
        setenv("XDG_CONFIG_HOME", cfg, 1);
        unsetenv("REGISTRY_AUTH_FILE");
        unsetenv("DOCKER_CONFIG");
}

static void test_paths(void)
{
        cleanup_strv char **v = NULL;
        cleanup_free char *d = NULL;

        set_env();
        v = image_auth_paths(NULL);
        ok(v[0] && v[1] && v[2] && !v[3], "three default files");
        if (v[0] && v[1] && v[2]) {
                cleanup_free char *a = path_in("run/containers/auth.json");
                cleanup_free char *b = path_in("cfg/containers/auth.json");
                cleanup_free char *c = path_in("home/.docker/config.json");

                is_str(v[0], a, "first $XDG_RUNTIME_DIR/containers/auth.json");
                is_str(v[1], b, "then $XDG_CONFIG_HOME/containers/auth.json");
                is_str(v[2], c, "then ~/.docker/config.json");
        }
        strv_free(v);
        v = image_auth_paths("/x/auth.json");
        ok(v[0] && streq(v[0], "/x/auth.json") && !v[1], "--authfile is the only file");
        strv_free(v);
        setenv("REGISTRY_AUTH_FILE", "/y/auth.json", 1);
        v = image_auth_paths(NULL);
        ok(v[0] && streq(v[0], "/y/auth.json") && !v[1], "$REGISTRY_AUTH_FILE is the only file");
        d = image_auth_default_path(NULL);
        is_str(d, "/y/auth.json", "login writes $REGISTRY_AUTH_FILE");
        free(d);
        unsetenv("REGISTRY_AUTH_FILE");
        strv_free(v);
        setenv("DOCKER_CONFIG", "/dc", 1);
        unsetenv("XDG_CONFIG_HOME");
        v = image_auth_paths(NULL);
        if (v[1] && v[2]) {
                cleanup_free char *b = path_in("home/.config/containers/auth.json");

                is_str(v[1], b, "XDG_CONFIG_HOME defaults to ~/.config");
                is_str(v[2], "/dc/config.json", "$DOCKER_CONFIG/config.json");
        }
        unsetenv("XDG_RUNTIME_DIR");
        d = image_auth_default_path(NULL);
        {
                cleanup_free char *want =
                        xasprintf("/run/containers/%u/auth.json", (unsigned)getuid());

                is_str(d, want, "without XDG_RUNTIME_DIR: /run/containers/UID/auth.json");
        }
        set_env();
}

static void test_lookup(void)
{
        cleanup_error struct rctr_error err = {0};
        struct image_auth_creds c = {0};
        cleanup_free char *docker = path_in("home/.docker/config.json");
        cleanup_free char *run = path_in("run/containers/auth.json");
        cleanup_free char *mine = path_in("mine.json");
        int r;

        set_env();
        ok(image_auth_lookup(NULL, "r.example", &c, &err) == 0 && !err.msg,
           "no files: no credentials, no error");
        write_file("home/.docker/config.json",
                   "{\"auths\": {\"r.example\": {\"auth\": \"" B64_HUB "\"}}}");
        r = image_auth_lookup(NULL, "r.example/a", &c, &err);
        ok(r == 1 && streq(c.username, "hub") && streq(c.path, docker),
           "found in ~/.docker/config.json");
        image_auth_creds_clear(&c);
        write_file("run/containers/auth.json",
                   "{\"auths\": {\"r.example\": {\"auth\": \"" B64_USER_PASS "\"}}}");
        r = image_auth_lookup(NULL, "r.example/a", &c, &err);
        ok(r == 1 && streq(c.username, "user") && streq(c.path, run),
           "the runtime auth.json comes first");
        image_auth_creds_clear(&c);
        r = image_auth_lookup(NULL, "s.example", &c, &err);
        ok(r == 0, "a registry in no file");
        write_file("mine.json", "{\"auths\": {}}");
        r = image_auth_lookup(mine, "r.example", &c, &err);
        ok(r == 0, "--authfile alone is searched");
        write_file("cfg/containers/auth.json", "{\"auths\": ");
        r = image_auth_lookup(NULL, "s.example", &c, &err);
        ok(r == -EBADMSG && err.msg && strstr(err.msg, "cfg/containers/auth.json: invalid JSON"),
           "a malformed file is an error naming it");
        printf("# %s\n", err.msg ? err.msg : "");
        rctr_error_clear(&err);
        unlink(run);
}

static mode_t mode_of(const char *p)
{
        struct stat st;

        return stat(p, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static json_t *load(const char *p)
{
        return json_load_file(p, 0, NULL);
}

static void test_store(void)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *p = path_in("new/dir/containers/auth.json");
        cleanup_free char *dir = path_in("new/dir/containers");
        cleanup_free char *pre = path_in("pre.json");
        struct image_auth_creds c = {0};
        json_t *j;
        int r;

        r = image_auth_store(p, "localhost:5000", "rctr", "s3cret:x", &err);
        ok(r == 0, "store into a new file");
        ok(mode_of(p) == 0600, "the file is 0600");
        ok(mode_of(dir) == 0700, "new directories are 0700");
        r = image_auth_lookup(p, "localhost:5000/busybox", &c, &err);
        ok(r == 1 && streq(c.username, "rctr") && streq(c.password, "s3cret:x"),
           "what was stored is found");
        image_auth_creds_clear(&c);

        write_file("pre.json", "{\"auths\": {\"a.io\": {\"auth\": \"" B64_USER_PASS
                               "\"}, \"b.io\": {\"auth\": \"" B64_HUB
                               "\", \"email\": \"e@x\", \"identitytoken\": \"tok\"}},"
                               " \"credHelpers\": {\"gcr.io\": \"gcloud\"},"
                               " \"HttpHeaders\": {\"X\": \"y\"}}");
        chmod(pre, 0644);
        r = image_auth_store(pre, "b.io", "new", "pw", &err);
        ok(r == 0 && mode_of(pre) == 0600, "replace an entry; the file becomes 0600");
        j = load(pre);
        ok(j && json_is_object(json_object_get(j, "credHelpers")) &&
                   json_is_object(json_object_get(j, "HttpHeaders")),
           "unknown top-level keys are kept");
        ok(j && json_object_get(json_object_get(json_object_get(j, "auths"), "a.io"), "auth"),
           "other entries are kept");
        {
                json_t *b = json_object_get(json_object_get(j, "auths"), "b.io");

                ok(b && json_object_get(b, "email") && !json_object_get(b, "identitytoken") &&
                           streq(json_string_value(json_object_get(b, "auth")), "bmV3OnB3"),
                   "the entry's auth is replaced, its token dropped, its other fields kept");
        }
        json_decref(j);

        ok(image_auth_store(pre, "c.io", "a:b", "pw", &err) == -EINVAL &&
                   strstr(err.msg, "must not contain ':'"),
           "a username with ':' is refused");
        rctr_error_clear(&err);

        write_file("bad.json", "{not json");
        {
                cleanup_free char *bad = path_in("bad.json");
                cleanup_buf struct buf b = {0};
                cleanup_close int fd = open(bad, O_RDONLY | O_CLOEXEC);

                ok(image_auth_store(bad, "c.io", "u", "p", &err) == -EBADMSG,
                   "a malformed file is not overwritten...");
                rctr_error_clear(&err);
                buf_init(&b, 1024);
                fs_read_fd(fd, &b, "bad", &err);
                is_str(b.data, "{not json", "...and left as it was");
        }
}

static void test_remove(void)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *p = path_in("rm.json");
        json_t *j, *auths;

        write_file("rm.json", "{\"auths\": {"
                              "\"a.io\": {\"auth\": \"" B64_USER_PASS "\"},"
                              "\"a.io/ns\": {\"auth\": \"" B64_USER_PASS "\"},"
                              "\"https://a.io/v1/\": {\"auth\": \"" B64_USER_PASS "\"},"
                              "\"index.docker.io\": {\"auth\": \"" B64_USER_PASS "\"},"
                              "\"https://index.docker.io/v1/\": {\"auth\": \"" B64_USER_PASS "\"},"
                              "\"b.io\": {\"auth\": \"" B64_USER_PASS "\"}"
                              "}, \"keep\": 1}");
        ok(image_auth_remove(p, "a.io", &err) == 0, "remove a host");
        j = load(p);
        auths = json_object_get(j, "auths");
        ok(!json_object_get(auths, "a.io") && !json_object_get(auths, "https://a.io/v1/") &&
                   json_object_get(auths, "a.io/ns") && json_object_get(auths, "b.io"),
           "its URL-form entries go too; namespace entries and others stay");
        json_decref(j);
        ok(image_auth_remove(p, "docker.io", &err) == 0, "remove docker.io");
        j = load(p);
        auths = json_object_get(j, "auths");
        ok(!json_object_get(auths, "index.docker.io") &&
                   !json_object_get(auths, "https://index.docker.io/v1/"),
           "docker.io's aliases go with it");
        json_decref(j);
        ok(image_auth_remove(p, "c.io", &err) == -ENOENT && streq(err.msg, "not logged in to c.io"),
           "not logged in: -ENOENT");
        rctr_error_clear(&err);
        ok(image_auth_remove(p, NULL, &err) == 0, "remove all");
        j = load(p);
        ok(json_object_size(json_object_get(j, "auths")) == 0 &&
                   json_integer_value(json_object_get(j, "keep")) == 1 && mode_of(p) == 0600,
           "no entries left, other keys kept, still 0600");
        json_decref(j);
        {
                cleanup_free char *missing = path_in("missing/auth.json");

                ok(image_auth_remove(missing, "a.io", &err) == -ENOENT, "no file: not logged in");
                rctr_error_clear(&err);
        }
}

int main(void)
{
        cleanup_error struct rctr_error err = {0};

        if (!mkdtemp(tmpdir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        test_find();
        test_find_docker_io();
        test_find_errors();
        test_paths();
        test_lookup();
        test_store();
        test_remove();
        fs_remove_tree_at(AT_FDCWD, tmpdir, &err);
        return tap_done();
}
