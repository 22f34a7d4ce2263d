#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/reference.h"
#include "image/registries-conf.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

#define SHA "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmpdir[] = "/tmp/rctr-test-regconf-XXXXXX";

/* Write tmpdir/name (parent directories made as needed). Returns the path, owned. */
static char *write_file(const char *name, const char *text)
{
        char *path = xasprintf("%s/%s", tmpdir, name);
        cleanup_close int fd = -1;

        for (char *slash = strchr(path + strlen(tmpdir) + 1, '/'); slash;
             slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                (void)mkdir(path, 0755); /* exists already, mostly */
                *slash = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0) {
                printf("Bail out! write %s: %s\n", path, strerror(errno));
                exit(1);
        }
        return path;
}

static char *tmp_path(const char *name)
{
        return xasprintf("%s/%s", tmpdir, name);
}

/* Load the given files (NULL-terminated varargs of paths). NULL on error, with *msg set. */
static struct image_regconf *load(char **msg, int *ret_r, ...)
{
        char *paths[16];
        size_t n = 0;
        struct image_regconf *c = NULL;
        struct rctr_error err = {0};
        va_list ap;
        int r;

        va_start(ap, ret_r);
        while (n < ARRAY_SIZE(paths) - 1 && (paths[n] = va_arg(ap, char *)))
                n++;
        va_end(ap);
        paths[n] = NULL;
        r = image_regconf_load_files(paths, &c, &err);
        if (ret_r)
                *ret_r = r;
        if (msg)
                *msg = err.msg ? xstrdup(err.msg) : NULL;
        else if (r < 0)
                printf("# unexpected error: %s\n", err.msg);
        rctr_error_clear(&err);
        return r < 0 ? NULL : c;
}

/* Load one file with text; the error message or NULL. Owned. */
static char *error_of(const char *text, int *ret_r)
{
        cleanup_free char *path = write_file("err.conf", text);
        char *msg = NULL;
        struct image_regconf *c = load(&msg, ret_r, path, NULL);

        image_regconf_free(c);
        return msg;
}

static char *strv_join(char **v)
{
        struct buf b;

        buf_init(&b, 0);
        for (size_t i = 0; v && v[i]; i++)
                buf_appendf(&b, "%s%s", i ? " " : "", v[i]);
        return buf_detach(&b);
}

/* Resolve text against c: the candidates joined by spaces, or "error: <message>". Owned. */
static char *resolve(const struct image_regconf *c, const char *text, bool tty)
{
        struct image_ref ref = {0};
        struct rctr_error err = {0};
        cleanup_strv char **v = NULL;
        char *out;

        if (image_ref_parse(text, &ref, &err) < 0 ||
            image_regconf_resolve_short(c, &ref, tty, &v, &err) < 0)
                out = xasprintf("error: %s", err.msg);
        else
                out = strv_join(v);
        image_ref_clear(&ref);
        rctr_error_clear(&err);
        return out;
}

/* Pull sources of text: "name[!insecure] ..." or "error: <message>". Owned. */
static char *sources(const struct image_regconf *c, const char *text)
{
        struct image_ref ref = {0};
        struct rctr_error err = {0};
        struct image_pull_source *v = NULL;
        char *out = NULL;
        int n = -1;

        if (image_ref_parse(text, &ref, &err) < 0 ||
            (n = image_regconf_pull_sources(c, &ref, &v, &err)) < 0) {
                out = xasprintf("error(%d): %s", err.code, err.msg);
        } else {
                out = xstrdup("");
                for (int i = 0; i < n; i++) {
                        char *next = xasprintf("%s%s%s%s", out, i ? " " : "", v[i].name,
                                               v[i].insecure ? "!insecure" : "");
                        free(out);
                        out = next;
                }
        }
        image_pull_sources_free(v, n < 0 ? 0 : (size_t)n);
        image_ref_clear(&ref);
        rctr_error_clear(&err);
        return out;
}

static const char fedora_conf[] =
        "# For more information on this configuration file, see containers-registries.conf(5).\n"
        "#\n"
        "unqualified-search-registries = [\n"
        "  \"registry.fedoraproject.org\",  # Fedora's own\n"
        "  \"registry.access.redhat.com\",\n"
        "  \"docker.io\",\n"
        "  'quay.io/',\n"
        "]\n"
        "short-name-mode = \"enforcing\"\n"
        "credential-helpers = [ \"containers-auth.json\" ]\n"
        "some-future-key = 42\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"example.com/foo\"\n"
        "insecure = false\n"
        "blocked = false\n"
        "location = \"internal-registry-for-example.com/bar\"\n"
        "\n"
        "[[registry.mirror]]\n"
        "location = \"example-mirror-0.local/mirror-for-foo\"\n"
        "\n"
        "[[registry.mirror]]\n"
        "location = \"example-mirror-1.local/mirrors/foo\"\n"
        "insecure = true\n"
        "\n"
        "[[registry]]\n"
        "location = \"registry.com\"\n"
        "\n"
        "[[registry.mirror]]\n"
        "location = \"mirror.registry.com\"\n"
        "\n"
        "[[registry]]\n"
        "location = \"localhost:5000\"\n"
        "insecure = true\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"*.blocked.example\"\n"
        "blocked = true\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"*.corp.example\"\n"
        "insecure = true\n"
        "mirror = [ { location = \"cache.corp.example:5000\", insecure = true } ]\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"docker.io/library/alpine\"\n"
        "location = \"mirror.local/hub/alpine\"\n"
        "\n"
        "[aliases]\n"
        "  # Fedora\n"
        "  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
        "  \"ubi8\" = \"registry.access.redhat.com/ubi8\"\n"
        "  \"hub/app\" = \"docker.io/app\"\n";

static void test_fedora(void)
{
        cleanup_free char *path = write_file("fedora.conf", fedora_conf);
        struct image_regconf *c = load(NULL, NULL, path, NULL);
        struct image_registry_info info;
        char **search;

        if (!ok(c != NULL, "a realistic registries.conf loads"))
                return;
        search = image_regconf_search(c);
        {
                cleanup_free char *s = strv_join(search);

                is_str(s, "registry.fedoraproject.org registry.access.redhat.com docker.io quay.io",
                       "search list in order, trailing slash dropped");
        }
        ok(image_regconf_shortname_mode(c) == IMAGE_SHORTNAME_ENFORCING, "short-name-mode");

        ok(image_regconf_lookup(c, "example.com/foo/image:latest", &info) == 1, "prefix matches");
        is_str(info.prefix, "example.com/foo", "matching prefix");
        is_str(info.location, "internal-registry-for-example.com/bar", "its location");
        ok(info.n_mirrors == 2 && !info.mirror_insecure[0] && info.mirror_insecure[1] &&
                   info.mirrors[2] == NULL && !info.insecure && !info.blocked,
           "its mirrors and flags");
        is_str(info.mirrors[0], "example-mirror-0.local/mirror-for-foo", "first mirror");
        is_str(info.origin, path, "origin file");
        ok(image_regconf_lookup(c, "example.com/foobar/x", &info) == 0 && !info.prefix &&
                   !info.location && !info.insecure && !info.blocked && info.n_mirrors == 0,
           "a prefix must end at a separator");
        ok(image_regconf_lookup(c, "example.com/foo@" SHA, &info) == 1, "'@' ends a prefix");
        ok(image_regconf_lookup(c, "registry.com/image", &info) == 1 && info.n_mirrors == 1,
           "prefix defaults to location");
        ok(image_regconf_lookup(c, "localhost:5000/app", &info) == 1 && info.insecure,
           "insecure registry");
        ok(image_regconf_lookup(c, "localhost/app", &info) == 0, "the port is part of the prefix");
        ok(image_regconf_lookup(c, "a.b.blocked.example/x/y:1", &info) == 1 && info.blocked &&
                   !info.location,
           "wildcard matches subdomains, without a location");
        ok(image_regconf_lookup(c, "blocked.example/x", &info) == 0,
           "wildcard does not match the domain itself");
        ok(image_regconf_lookup(c, "evilblocked.example/x", &info) == 0,
           "wildcard matches whole labels");
        ok(image_regconf_lookup(c, "x.blocked.example.evil/x", &info) == 0,
           "wildcard matches the end of the host");
        ok(image_regconf_lookup(c, "registry.corp.example:5000/team/app", &info) == 1 &&
                   info.insecure && info.n_mirrors == 1 && info.mirror_insecure[0],
           "wildcard with a port; mirrors as an inline table array");

        {
                cleanup_free char *s = sources(c, "example.com/foo/image:latest");

                is_str(s,
                       "example-mirror-0.local/mirror-for-foo/image:latest "
                       "example-mirror-1.local/mirrors/foo/image:latest!insecure "
                       "internal-registry-for-example.com/bar/image:latest",
                       "pull sources: mirrors in order, then the location (the man page's "
                       "example)");
        }
        {
                cleanup_free char *s = sources(c, "registry.com/image:latest");

                is_str(s, "mirror.registry.com/image:latest registry.com/image:latest",
                       "pull sources of another table");
        }
        {
                cleanup_free char *s = sources(c, "alpine");

                is_str(s, "error(22): alpine:latest is not a fully-qualified reference",
                       "pull sources need a qualified name");
        }
        {
                cleanup_free char *s = sources(c, "docker.io/alpine:3");

                is_str(s, "mirror.local/hub/alpine:3",
                       "docker.io/alpine is docker.io/library/alpine for prefixes");
        }
        {
                cleanup_free char *s = sources(c, "quay.io/org/app@" SHA);

                is_str(s, "quay.io/org/app@" SHA, "no table: the name itself");
        }
        {
                cleanup_free char *s = sources(c, "team.corp.example/app:1");

                is_str(s, "cache.corp.example:5000/app:1!insecure team.corp.example/app:1!insecure",
                       "wildcard table: mirror rewritten, primary kept");
        }
        {
                cleanup_free char *s = sources(c, "x.blocked.example/app:1");
                cleanup_free char *want = xasprintf(
                        "error(13): x.blocked.example/app:1 is blocked by [[registry]] prefix "
                        "\"*.blocked.example\" (%s:36)",
                        path);

                is_str(s, want, "blocked registry");
        }

        {
                cleanup_free char *s = resolve(c, "fedora", false);

                is_str(s, "registry.fedoraproject.org/fedora:latest", "alias");
        }
        {
                cleanup_free char *s = resolve(c, "fedora:39", false);

                is_str(s, "registry.fedoraproject.org/fedora:39", "alias keeps the tag");
        }
        {
                cleanup_free char *s = resolve(c, "ubi8@" SHA, false);

                is_str(s, "registry.access.redhat.com/ubi8@" SHA, "alias keeps the digest");
        }
        {
                cleanup_free char *s = resolve(c, "hub/app", false);

                is_str(s, "docker.io/library/app:latest",
                       "multi-component alias name; a docker.io value gets library/");
        }
        {
                cleanup_free char *s = resolve(c, "alpine", false);

                is_str(s,
                       "error: short name \"alpine\" is ambiguous: it could be "
                       "registry.fedoraproject.org/alpine, registry.access.redhat.com/alpine, "
                       "docker.io/library/alpine or quay.io/alpine; use a fully qualified name",
                       "enforcing without a TTY: ambiguity error");
        }
        {
                cleanup_free char *s = resolve(c, "alpine:3.19", true);

                is_str(s,
                       "registry.fedoraproject.org/alpine:3.19 "
                       "registry.access.redhat.com/alpine:3.19 docker.io/library/alpine:3.19 "
                       "quay.io/alpine:3.19",
                       "enforcing with a TTY: every candidate, for the caller to offer");
        }
        {
                cleanup_free char *s = resolve(c, "quay.io/org/app", false);

                is_str(s, "quay.io/org/app:latest", "a qualified name resolves to itself");
        }
        image_regconf_free(c);
}

static void test_modes(void)
{
        cleanup_free char *enforcing = write_file(
                "modes/enforcing.conf", "unqualified-search-registries = ['docker.io', 'quay.io']\n"
                                        "short-name-mode = 'enforcing'\n");
        cleanup_free char *permissive =
                write_file("modes/permissive.conf",
                           "unqualified-search-registries = ['docker.io', 'quay.io']\n");
        cleanup_free char *disabled = write_file(
                "modes/disabled.conf", "unqualified-search-registries = ['docker.io', 'quay.io']\n"
                                       "short-name-mode = \"disabled\"\n");
        cleanup_free char *one =
                write_file("modes/one.conf", "unqualified-search-registries = ['quay.io']\n"
                                             "short-name-mode = 'enforcing'\n");
        cleanup_free char *none =
                write_file("modes/none.conf", "unqualified-search-registries = []\n");
        struct image_regconf *c;

        c = load(NULL, NULL, enforcing, NULL);
        {
                cleanup_free char *s = resolve(c, "alpine", false);

                is_str(s,
                       "error: short name \"alpine\" is ambiguous: it could be "
                       "docker.io/library/alpine or quay.io/alpine; use a fully qualified name",
                       "the ambiguity error, word for word");
        }
        image_regconf_free(c);

        c = load(NULL, NULL, permissive, NULL);
        ok(c && image_regconf_shortname_mode(c) == IMAGE_SHORTNAME_PERMISSIVE,
           "permissive is the default mode");
        {
                cleanup_free char *s = resolve(c, "alpine", false);

                is_str(s, "docker.io/library/alpine:latest quay.io/alpine:latest",
                       "permissive without a TTY: every candidate, in order");
        }
        image_regconf_free(c);

        c = load(NULL, NULL, disabled, NULL);
        {
                cleanup_free char *s = resolve(c, "org/app@" SHA, false);

                is_str(s, "docker.io/org/app@" SHA " quay.io/org/app@" SHA,
                       "disabled: every candidate; digest kept, no library/ for org/app");
        }
        image_regconf_free(c);

        c = load(NULL, NULL, one, NULL);
        {
                cleanup_free char *s = resolve(c, "alpine", false);

                is_str(s, "quay.io/alpine:latest", "one search registry is never ambiguous");
        }
        image_regconf_free(c);

        c = load(NULL, NULL, none, NULL);
        {
                cleanup_free char *s = resolve(c, "alpine", false);
                cleanup_free char *want = xasprintf(
                        "error: short name \"alpine\" has no alias and no "
                        "unqualified-search-registries are set in %s; use a fully qualified name",
                        none);

                is_str(s, want, "an empty search list");
        }
        image_regconf_free(c);
}

static void test_defaults(void)
{
        cleanup_free char *missing = tmp_path("does-not-exist.conf");
        struct image_regconf *c = load(NULL, NULL, missing, NULL);

        if (!ok(c != NULL, "a missing file is an empty configuration"))
                return;
        {
                cleanup_free char *s = strv_join(image_regconf_search(c));

                is_str(s, "docker.io", "default search list");
        }
        ok(image_regconf_shortname_mode(c) == IMAGE_SHORTNAME_PERMISSIVE, "default mode");
        {
                cleanup_free char *s = resolve(c, "alpine", false);

                is_str(s, "docker.io/library/alpine:latest", "alpine is docker.io/library/alpine");
        }
        {
                cleanup_free char *s = sources(c, "docker.io/library/alpine:latest");

                is_str(s, "docker.io/library/alpine:latest", "no [[registry]]: pull as named");
        }
        image_regconf_free(c);

        c = load(NULL, NULL, NULL);
        ok(c && image_regconf_search(c)[0] && !image_regconf_search(c)[1],
           "no files at all: the defaults");
        image_regconf_free(c);
}

static void test_dropins(void)
{
        cleanup_free char *sys = tmp_path("etc"), *user = tmp_path("home/containers");
        cleanup_free char *main_conf = write_file(
                "etc/registries.conf", "unqualified-search-registries = ['a.io', 'b.io']\n"
                                       "[[registry]]\nlocation = 'x.io'\ninsecure = true\n"
                                       "[[registry]]\nlocation = 'keep.io'\nblocked = true\n"
                                       "[aliases]\n'foo' = 'a.io/foo'\n'bar' = 'b.io/bar'\n");
        cleanup_free char *d10 = write_file(
                "etc/registries.conf.d/10-a.conf",
                "unqualified-search-registries = ['c.io']\n"
                "[[registry]]\nprefix = 'x.io'\nlocation = 'x-internal.io'\nblocked = true\n"
                "[aliases]\n'foo' = 'c.io/foo'\n'bar' = ''\n");
        cleanup_free char *d20 =
                write_file("etc/registries.conf.d/20-b.conf", "short-name-mode = 'disabled'\n"
                                                              "[[registry]]\nlocation = 'y.io'\n");
        /* Written out of order: the directory's own order must not matter. */
        cleanup_free char *d99 = write_file("etc/registries.conf.d/99-z.conf", "# nothing\n");
        cleanup_free char *d50 = write_file("etc/registries.conf.d/50-m.conf",
                                            "[aliases]\n'baz' = 'early.io/baz'\n");
        cleanup_free char *d05 = write_file("etc/registries.conf.d/05-a.conf",
                                            "unqualified-search-registries = ['early.io']\n");
        cleanup_free char *d15 =
                write_file("etc/registries.conf.d/15-b.conf", "[[registry]]\nlocation = 'z.io'\n");
        cleanup_free char *readme = write_file("etc/registries.conf.d/README", "not toml at all [");
        cleanup_free char *subdir = write_file("etc/registries.conf.d/sub.conf/x.conf", "junk [");
        cleanup_free char *u30 = write_file("home/containers/registries.conf.d/30-user.conf",
                                            "[aliases]\n'baz' = 'quay.io/baz'\n");
        cleanup_strv char **paths = NULL;
        struct rctr_error err = {0};
        struct image_registry_info info;
        struct image_regconf *c;

        ok(image_regconf_paths(sys, user, &paths, &err) == 0, "paths");
        {
                cleanup_free char *s = strv_join(paths);
                cleanup_free char *want = xasprintf("%s %s %s %s %s %s %s %s", main_conf, d05, d10,
                                                    d15, d20, d50, d99, u30);

                is_str(s, want, "system file, its drop-ins sorted, then the user's drop-ins");
        }
        c = NULL;
        ok(image_regconf_load_files(paths, &c, &err) == 0, "files and drop-ins load: %s",
           err.msg ? err.msg : "ok");
        if (!c)
                return;
        {
                cleanup_free char *s = strv_join(image_regconf_search(c));

                is_str(s, "c.io", "a later drop-in's search list replaces earlier ones");
        }
        ok(image_regconf_lookup(c, "z.io/app", &info) == 1, "every drop-in is read");
        ok(image_regconf_shortname_mode(c) == IMAGE_SHORTNAME_DISABLED, "mode from a drop-in");
        ok(image_regconf_lookup(c, "x.io/app", &info) == 1 && info.blocked && !info.insecure,
           "a [[registry]] with the same prefix is replaced whole");
        is_str(info.location, "x-internal.io", "the replacement's location");
        is_str(info.origin, d10, "the replacement's origin");
        ok(image_regconf_lookup(c, "keep.io/app", &info) == 1 && info.blocked,
           "other tables are kept");
        ok(image_regconf_lookup(c, "y.io/app", &info) == 1, "a drop-in adds tables");
        {
                cleanup_free char *s = resolve(c, "foo", false);

                is_str(s, "c.io/foo:latest", "a drop-in's alias replaces the main one");
        }
        {
                cleanup_free char *s = resolve(c, "bar", false);

                is_str(s, "c.io/bar:latest", "an alias set to \"\" is erased");
        }
        {
                cleanup_free char *s = resolve(c, "baz", false);

                is_str(s, "quay.io/baz:latest", "the user's drop-ins come after the system's");
        }
        image_regconf_free(c);

        /* With a registries.conf of their own, the user's files replace the system's. */
        {
                cleanup_free char *ufile = write_file("home/containers/registries.conf",
                                                      "unqualified-search-registries = ['u.io']\n");
                cleanup_strv char **upaths = NULL;
                cleanup_free char *s = NULL, *want = xasprintf("%s %s", ufile, u30);

                ok(image_regconf_paths(sys, user, &upaths, &err) == 0, "paths with a user file");
                s = strv_join(upaths);
                is_str(s, want, "only the user's file and drop-ins");
        }
        {
                cleanup_strv char **npaths = NULL;
                cleanup_free char *s = NULL, *want = xasprintf("%s %s %s %s %s %s %s", main_conf,
                                                               d05, d10, d15, d20, d50, d99);

                ok(image_regconf_paths(sys, NULL, &npaths, &err) == 0, "paths without user dir");
                s = strv_join(npaths);
                is_str(s, want, "no user directory");
        }
        (void)readme;
        (void)subdir;
        rctr_error_clear(&err);
}

static void test_load_default(void)
{
        cleanup_free char *xdg = tmp_path("xdg");
        cleanup_free char *file = write_file(
                "xdg/containers/registries.conf",
                "unqualified-search-registries = ['xdg.io']\nshort-name-mode = 'enforcing'\n");
        cleanup_free char *old =
                getenv("XDG_CONFIG_HOME") ? xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;
        struct image_regconf *c = NULL;
        struct rctr_error err = {0};

        /* The user's own file replaces /etc/containers/registries.conf, whatever that holds. */
        setenv("XDG_CONFIG_HOME", xdg, 1);
        ok(image_regconf_load_default(&c, &err) == 0, "load_default: %s", err.msg ? err.msg : "ok");
        if (c) {
                cleanup_free char *s = strv_join(image_regconf_search(c));

                is_str(s, "xdg.io",
                       "load_default reads $XDG_CONFIG_HOME/containers/registries.conf");
        }
        image_regconf_free(c);
        rctr_error_clear(&err);
        if (old)
                setenv("XDG_CONFIG_HOME", old, 1);
        else
                unsetenv("XDG_CONFIG_HOME");
        (void)file;
}

static void test_v1(void)
{
        cleanup_free char *path =
                write_file("v1.conf", "[registries.search]\n"
                                      "registries = ['registry1.com', 'registry2.com']\n"
                                      "\n"
                                      "[registries.insecure]\n"
                                      "registries = ['registry3.com']\n"
                                      "\n"
                                      "[registries.block]\n"
                                      "registries = ['registry.untrusted.com', 'registry3.com']\n");
        cleanup_free char *dropin =
                write_file("v1-dropin.conf", "[registries.search]\nregistries = ['r.com']\n");
        struct image_registry_info info;
        struct image_regconf *c = load(NULL, NULL, path, NULL);
        char *msg = NULL;
        int r = 0;

        if (!ok(c != NULL, "a version 1 main file loads"))
                return;
        {
                cleanup_free char *s = strv_join(image_regconf_search(c));

                is_str(s, "registry1.com registry2.com", "v1 search");
        }
        ok(image_regconf_lookup(c, "registry3.com/a", &info) == 1 && info.insecure && info.blocked,
           "v1 insecure and block of one registry");
        ok(image_regconf_lookup(c, "registry.untrusted.com/a", &info) == 1 && info.blocked &&
                   !info.insecure,
           "v1 block");
        image_regconf_free(c);

        c = load(&msg, &r, path, dropin, NULL);
        ok(!c && r == -EBADMSG && msg &&
                   strstr(msg, "v1-dropin.conf:1: [registries.*] is the version 1 format, which "
                               "drop-ins may not use"),
           "a version 1 drop-in is refused: %s", msg);
        free(msg);
}

static void test_lookup_longest(void)
{
        cleanup_free char *path = write_file(
                "longest.conf", "[[registry]]\nlocation = 'quay.io'\n"
                                "[[registry]]\nlocation = 'quay.io/org/app'\ninsecure = true\n"
                                "[[registry]]\nprefix = 'quay.io/org'\nlocation = 'q.local/o'\n"
                                "[[registry]]\nprefix = 'quay.io/org/app'\nlocation = 'dup'\n"
                                "[[registry]]\nprefix = '*.example.com'\n"
                                "[[registry]]\nprefix = 'deep.sub.example.com'\n"
                                "location = 'other.example.com'\n"
                                "[[registry]]\nprefix = 'digest.io'\nlocation = 'digest.io'\n"
                                "mirror-by-digest-only = true\n"
                                "[[registry.mirror]]\nlocation = 'm.digest.io'\n"
                                "[[registry]]\nprefix = 'per.io'\nlocation = 'per.io'\n"
                                "[[registry.mirror]]\nlocation = 'tags.per.io'\n"
                                "pull-from-mirror = 'tag-only'\n"
                                "[[registry.mirror]]\nlocation = 'digests.per.io'\n"
                                "pull-from-mirror = 'digest-only'\n"
                                "[[registry.mirror]]\nlocation = 'all.per.io'\n"
                                "pull-from-mirror = 'all'\n");
        struct image_regconf *c = load(NULL, NULL, path, NULL);
        struct image_registry_info info;

        if (!ok(c != NULL, "prefix file loads"))
                return;
        ok(image_regconf_lookup(c, "quay.io/org/app:1", &info) == 1 && info.insecure,
           "longest prefix wins; the first table of a prefix wins in one file");
        is_str(info.prefix, "quay.io/org/app", "longest prefix");
        is_str(info.location, "quay.io/org/app", "first of the duplicate prefixes");
        ok(image_regconf_lookup(c, "quay.io/org/other", &info) == 1, "middle prefix");
        is_str(info.prefix, "quay.io/org", "middle prefix");
        ok(image_regconf_lookup(c, "quay.io/orgx/a", &info) == 1, "shortest prefix");
        is_str(info.prefix, "quay.io", "shortest prefix");
        ok(image_regconf_lookup(c, "deep.sub.example.com/a", &info) == 1, "exact host vs wildcard");
        is_str(info.prefix, "deep.sub.example.com", "the longer prefix beats the wildcard");
        ok(image_regconf_lookup(c, "x.sub.example.com/a", &info) == 1, "wildcard");
        is_str(info.prefix, "*.example.com", "the wildcard for another subdomain");
        {
                cleanup_free char *s = sources(c, "quay.io/org/sub/img:2");

                is_str(s, "q.local/o/sub/img:2", "location rewrite keeps the rest of the name");
        }
        {
                cleanup_free char *s = sources(c, "digest.io/a:1");

                is_str(s, "digest.io/a:1", "mirror-by-digest-only: tags skip the mirrors");
        }
        {
                cleanup_free char *s = sources(c, "digest.io/a@" SHA);

                is_str(s, "m.digest.io/a@" SHA " digest.io/a@" SHA,
                       "mirror-by-digest-only: digests use them");
        }
        {
                cleanup_free char *s = sources(c, "per.io/a:1");

                is_str(s, "tags.per.io/a:1 all.per.io/a:1 per.io/a:1", "pull-from-mirror, tag");
        }
        {
                cleanup_free char *s = sources(c, "per.io/a@" SHA);

                is_str(s, "digests.per.io/a@" SHA " all.per.io/a@" SHA " per.io/a@" SHA,
                       "pull-from-mirror, digest");
        }
        image_regconf_free(c);
}

struct bad_case {
        const char *text;
        int line; /* 0: the message has no line */
        const char *message;
};

static const struct bad_case bad[] = {
        {"a = 1\n[[registry]\n", 2, "expected ']]' to close [[registry"},
        {"[[registry]]\nlocation = 'a.io'\ninsecure = \"yes\"\n", 3,
         "[[registry]] insecure: expected true or false, not a string"},
        {"[[registry]]\nlocation = 5\n", 2,
         "[[registry]] location: expected a string, not a number "
         "or date"},
        {"[[registry]]\nprefix = '*.example.com/foo'\n", 1,
         "[[registry]] prefix \"*.example.com/foo\": a wildcard prefix must be of the form "
         "*.example.com"},
        {"[[registry]]\nprefix = 'example.*.com'\nlocation='x'\n", 0, "(parsed)"},
        {"[[registry]]\nprefix = 'a.io/x'\n", 1,
         "[[registry]] prefix \"a.io/x\": location is unset (only a *.example.com prefix may go "
         "without one)"},
        {"[[registry]]\ninsecure = true\n", 1, "[[registry]]: both prefix and location are unset"},
        {"[[registry]]\nlocation = 'https://a.io'\n", 1,
         "[[registry]] location \"https://a.io\": URL schemes are not supported (give "
         "host[:port][/path])"},
        {"[[registry]]\nlocation = 'a.io'\n[[registry.mirror]]\ninsecure = true\n", 3,
         "[[registry.mirror]]: location is unset"},
        {"[[registry]]\nlocation = 'a.io'\npull-from-mirror = 'all'\n", 1,
         "[[registry]] \"a.io\": pull-from-mirror may only be set for a [[registry.mirror]]"},
        {"[[registry]]\nlocation = 'a.io'\n[[registry.mirror]]\nlocation = 'm'\n"
         "pull-from-mirror = 'sometimes'\n",
         3,
         "[[registry.mirror]] pull-from-mirror: unknown value \"sometimes\" (all, digest-only "
         "or tag-only)"},
        {"[[registry]]\nlocation = 'a.io'\nmirror-by-digest-only = true\n[[registry.mirror]]\n"
         "location = 'm'\npull-from-mirror = 'tag-only'\n",
         4,
         "[[registry.mirror]] \"m\": pull-from-mirror cannot be combined with the registry's "
         "mirror-by-digest-only"},
        {"[[registry]]\nlocation = 'a.io'\nmirror = 'm.io'\n", 3,
         "mirror: expected [[registry.mirror]] tables, not a string"},
        {"registry = 'a.io'\n", 1, "registry: expected [[registry]] tables, not a string"},
        {"[[registry]]\nlocation = 'a.io'\ninsecure = true\n[[registry]]\nprefix = 'b.io'\n"
         "location = 'a.io'\n",
         4, "[[registry]] \"a.io\" was defined on line 1 with a different insecure setting"},
        {"short-name-mode = 'strict'\n", 1,
         "short-name-mode: unknown value \"strict\" (enforcing, permissive or disabled)"},
        {"short-name-mode = true\n", 1, "short-name-mode: expected a string, not a boolean"},
        {"unqualified-search-registries = 'docker.io'\n", 1,
         "unqualified-search-registries: expected an array of strings, not a string"},
        {"unqualified-search-registries = ['docker.io', 1]\n", 1,
         "unqualified-search-registries: expected an array of strings, not of number or dates"},
        {"unqualified-search-registries = [\n  'docker.io',\n  'http://quay.io',\n]\n", 3,
         "unqualified-search-registries \"http://quay.io\": URL schemes are not supported (give "
         "host[:port][/path])"},
        {"unqualified-search-registries = ['not a host']\n", 1,
         "unqualified-search-registries: \"not a host\" is not a registry (host[:port])"},
        {"unqualified-search-registries = ['quay.io/org']\n", 1,
         "unqualified-search-registries: \"quay.io/org\" is not a registry (host[:port])"},
        {"[aliases]\n'foo:1' = 'quay.io/foo'\n", 2,
         "[aliases] \"foo:1\": the name must be a short name, without registry, tag or digest"},
        {"[aliases]\n'quay.io/foo' = 'quay.io/foo'\n", 2,
         "[aliases] \"quay.io/foo\": the name must be a short name, without registry, tag or "
         "digest"},
        {"[aliases]\n'Foo' = 'quay.io/foo'\n", 2,
         "[aliases]: invalid reference \"Foo\": repository name must be lowercase"},
        {"[aliases]\n'foo' = 'bar'\n", 2,
         "[aliases] \"foo\": \"bar\" must be a fully-qualified name (registry/repository) "
         "without tag or digest"},
        {"[aliases]\n'foo' = 'quay.io/foo:1'\n", 2,
         "[aliases] \"foo\": \"quay.io/foo:1\" must be a fully-qualified name "
         "(registry/repository) without tag or digest"},
        {"[aliases]\n'foo' = 'localhost:5000/foo'\n", 0, "(parsed)"},
        {"[aliases]\n'foo' = 'quay.io/Foo'\n", 2,
         "[aliases] \"foo\": invalid reference \"quay.io/Foo\": repository name must be lowercase"},
        {"[aliases]\n'foo' = true\n", 2, "[aliases] \"foo\": expected a string, not a boolean"},
        {"[aliases]\n'foo' = 'a.io/foo'\n'foo' = 'b.io/foo'\n", 3,
         "duplicate key \"foo\" (first on line 2)"},
        {"aliases = 'x'\n", 1, "aliases: expected a table, not a string"},
        {"unqualified-search-registries = ['a.io']\n[registries.search]\nregistries = ['b.io']\n",
         2,
         "[registries.*] is the version 1 format, which cannot be mixed with version 2 keys "
         "in one file"},
        {"[registries.search]\nregistries = 'b.io'\n", 2,
         "[registries.search] registries: expected an array of strings, not a string"},
};

static void test_bad(void)
{
        cleanup_free char *path = tmp_path("err.conf");

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = 0;
                cleanup_free char *msg = error_of(bad[i].text, &r);
                cleanup_free char *want =
                        bad[i].line ? xasprintf("%s:%d: %s", path, bad[i].line, bad[i].message)
                                    : xstrdup(bad[i].message);

                if (!bad[i].line) {
                        is_str(msg ? msg : "(parsed)", want, "accepted: case %zu", i);
                        continue;
                }
                ok(r == -EBADMSG, "case %zu fails with EBADMSG (%d)", i, r);
                is_str(msg, want, "message of case %zu", i);
        }
}

static void test_big(void)
{
        size_t n = IMAGE_REGCONF_FILE_MAX + 1;
        char *text = xmalloc(n + 1);
        cleanup_free char *msg = NULL;
        int r = 0;

        memset(text, '#', n);
        text[n] = '\0';
        msg = error_of(text, &r);
        ok(r == -EFBIG && msg && strstr(msg, "larger than 1048576 bytes"),
           "a file over the cap is refused: %s", msg);
        free(text);
}

int main(void)
{
        struct rctr_error err = {0};
        int r;

        if (!mkdtemp(tmpdir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        test_fedora();
        test_modes();
        test_defaults();
        test_dropins();
        test_load_default();
        test_v1();
        test_lookup_longest();
        test_bad();
        test_big();
        r = fs_remove_tree_at(AT_FDCWD, tmpdir, &err);
        if (r < 0)
                printf("# cleanup: %s\n", err.msg);
        rctr_error_clear(&err);
        return tap_done();
}
