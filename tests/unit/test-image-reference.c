#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA   "sha256:" HEX64

static bool str_eq_null(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static char *repeat(char c, size_t n)
{
        char *s = xmalloc(n + 1);

        memset(s, c, n);
        s[n] = '\0';
        return s;
}

struct valid_case {
        const char *text;
        const char *registry, *repository, *tag, *digest;
        const char *string; /* image_ref_string() */
};

static const struct valid_case valid[] = {
        {"alpine", NULL, "alpine", "latest", NULL, "alpine:latest"},
        {"alpine:3.19", NULL, "alpine", "3.19", NULL, "alpine:3.19"},
        {"library/alpine", NULL, "library/alpine", "latest", NULL, "library/alpine:latest"},
        {"org/app:v1", NULL, "org/app", "v1", NULL, "org/app:v1"},
        {"docker.io/alpine", "docker.io", "library/alpine", "latest", NULL,
         "docker.io/library/alpine:latest"},
        {"index.docker.io/alpine:edge", "docker.io", "library/alpine", "edge", NULL,
         "docker.io/library/alpine:edge"},
        {"docker.io/org/app", "docker.io", "org/app", "latest", NULL, "docker.io/org/app:latest"},
        {"docker.io/library/alpine", "docker.io", "library/alpine", "latest", NULL,
         "docker.io/library/alpine:latest"},
        {"quay.io/org/app:v1.2.3", "quay.io", "org/app", "v1.2.3", NULL, "quay.io/org/app:v1.2.3"},
        {"localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest"},
        {"localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", NULL, "localhost:5000/a/b:tag"},
        /* One component: a name, even when it looks like a host (docker's rule). */
        {"localhost", NULL, "localhost", "latest", NULL, "localhost:latest"},
        {"localhost:5000", NULL, "localhost", "5000", NULL, "localhost:5000"},
        {"example.com", NULL, "example.com", "latest", NULL, "example.com:latest"},
        {"alpine@" SHA, NULL, "alpine", NULL, SHA, "alpine@" SHA},
        {"host:5000/a/b:tag@" SHA, "host:5000", "a/b", "tag", SHA, "host:5000/a/b:tag@" SHA},
        {"docker.io/alpine:3@" SHA, "docker.io", "library/alpine", "3", SHA,
         "docker.io/library/alpine:3@" SHA},
        {"[::1]:5000/repo", "[::1]:5000", "repo", "latest", NULL, "[::1]:5000/repo:latest"},
        {"[2001:db8::1]/repo:tag", "[2001:db8::1]", "repo", "tag", NULL, "[2001:db8::1]/repo:tag"},
        {"[2001:db8:1:2:3:4:5:6]:5000/repo@" SHA, "[2001:db8:1:2:3:4:5:6]:5000", "repo", NULL, SHA,
         "[2001:db8:1:2:3:4:5:6]:5000/repo@" SHA},
        {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", NULL,
         "192.168.1.1:5000/repo:5050"},
        {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
         "some-long-tag", NULL, "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
        {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
         "test.example.com", NULL, "b.gcr.io/test.example.com/my-app:test.example.com"},
        {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", NULL,
         "xn--n3h.com/myimage:xn--n3h.com"},
        {"Quay.IO/org/app", "Quay.IO", "org/app", "latest", NULL, "Quay.IO/org/app:latest"},
        {"a/b__c/d-e--f/g.h_i", NULL, "a/b__c/d-e--f/g.h_i", "latest", NULL,
         "a/b__c/d-e--f/g.h_i:latest"},
        {"foo_bar.com:8080", NULL, "foo_bar.com", "8080", NULL, "foo_bar.com:8080"},
        {"lowercase:Uppercase", NULL, "lowercase", "Uppercase", NULL, "lowercase:Uppercase"},
        {"alpine:_x", NULL, "alpine", "_x", NULL, "alpine:_x"},
};

static void test_valid(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
                const struct valid_case *c = &valid[i];
                struct image_ref ref = {0};
                struct rctr_error err = {0};
                cleanup_free char *s = NULL;
                int r = image_ref_parse(c->text, &ref, &err);

                if (!ok(r == 0, "parse %s", c->text)) {
                        printf("#   error: %s\n", err.msg);
                        rctr_error_clear(&err);
                        continue;
                }
                ok(str_eq_null(ref.registry, c->registry) &&
                           str_eq_null(ref.repository, c->repository) &&
                           str_eq_null(ref.tag, c->tag) && str_eq_null(ref.digest, c->digest),
                   "fields of %s", c->text);
                s = image_ref_string(&ref);
                is_str(s, c->string, "string of %s", c->text);
                image_ref_clear(&ref);
        }
}

static void test_limits(void)
{
        cleanup_free char *a243 = repeat('a', 243), *a244 = repeat('a', 244);
        cleanup_free char *t128 = repeat('t', 128), *t129 = repeat('t', 129);
        cleanup_free char *name255 = xasprintf("example.com/%s", a243);
        cleanup_free char *name256 = xasprintf("example.com/%s", a244);
        cleanup_free char *tag128 = xasprintf("alpine:%s", t128);
        cleanup_free char *tag129 = xasprintf("alpine:%s", t129);
        cleanup_free char *huge = repeat('a', 600);
        struct image_ref ref = {0};
        struct rctr_error err = {0};

        ok(image_ref_parse(name255, &ref, &err) == 0, "a 255-character name is valid");
        image_ref_clear(&ref);
        ok(image_ref_parse(name256, &ref, &err) == -EINVAL && err.msg &&
                   strstr(err.msg, "name is longer than 255 characters"),
           "a 256-character name is not: %s", err.msg);
        rctr_error_clear(&err);
        ok(image_ref_parse(tag128, &ref, &err) == 0 && strlen(ref.tag) == 128,
           "a 128-character tag is valid");
        image_ref_clear(&ref);
        ok(image_ref_parse(tag129, &ref, &err) == -EINVAL && err.msg &&
                   strstr(err.msg, "tag is longer than 128 characters"),
           "a 129-character tag is not: %s", err.msg);
        rctr_error_clear(&err);
        ok(image_ref_parse(huge, &ref, &err) == -EINVAL && err.msg &&
                   strstr(err.msg, "longer than 512 characters") && strstr(err.msg, "...\""),
           "a 600-character text is refused, and cut short in the message: %s", err.msg);
        rctr_error_clear(&err);
}

struct invalid_case {
        const char *text;
        const char *message; /* the whole message, or a part when partial */
        bool partial;
};

static const struct invalid_case invalid[] = {
        {"", "invalid reference \"\": empty name", false},
        {"Alpine", "invalid reference \"Alpine\": repository name must be lowercase", false},
        {"Foo/bar", "invalid reference \"Foo/bar\": repository name must be lowercase", false},
        {"quay.io/Org/app:v1",
         "invalid reference \"quay.io/Org/app:v1\": repository name must be "
         "lowercase",
         false},
        {"test:5000/Uppercase/lowercase:tag", "repository name must be lowercase", true},
        {"alpine:", "invalid reference \"alpine:\": empty tag", false},
        {":tag", "invalid reference \":tag\": empty name", false},
        {"@" SHA, "empty name", true},
        {"::", "invalid path component \":\"", true},
        {"alpine:-bad", "invalid reference \"alpine:-bad\": invalid tag \"-bad\"", true},
        {"alpine:.bad", "invalid tag \".bad\"", true},
        {"alpine:ba$d", "invalid tag \"ba$d\"", true},
        {"alpine:a:b", "invalid path component \"alpine:a\"", true},
        {"alpine@sha256:abc",
         "invalid reference \"alpine@sha256:abc\": invalid digest (expected "
         "sha256: and 64 lowercase hex digits)",
         false},
        {"alpine@sha256:" HEX64 "0", "invalid digest", true},
        {"alpine@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
         "invalid digest", true},
        {"alpine@sha512:" HEX64 HEX64, "unsupported digest algorithm \"sha512\"", true},
        {"alpine@" HEX64, "invalid digest", true},
        {"alpine@" SHA "@" SHA, "invalid digest", true},
        {"a//b", "empty path component", true},
        {"quay.io/", "empty path component", true},
        {"quay.io//a", "empty path component", true},
        {"a/", "empty path component", true},
        {"aa/asdf$$^/aa", "invalid path component \"asdf$$^\"", true},
        {"-alpine", "invalid path component \"-alpine\"", true},
        {"alpine-", "invalid path component \"alpine-\"", true},
        {"a..b", "invalid path component", true},
        {"a___b", "invalid path component", true},
        {"a._b", "invalid path component", true},
        {"alpine linux", "invalid path component", true},
        {HEX64, "a 64-digit hex string is an image id, not a name", true},
        {"[fe80::1%eth0]:5000/repo", "invalid registry \"[fe80::1%eth0]:5000\"", true},
        {"[::1]:/repo", "invalid registry \"[::1]:\"", true},
        {"[]/repo", "invalid path component \"[]\"", true},
        {"[]:5000/repo", "invalid registry \"[]:5000\"", true},
        {"[::1/repo", "invalid registry", true},
        {"exa_mple.com/repo", "invalid registry \"exa_mple.com\"", true},
        {"-bad.com/repo", "invalid registry", true},
        {"bad-.com/repo", "invalid registry", true},
        {"a..com/repo", "invalid registry", true},
        {"host:port/repo", "invalid registry \"host:port\"", true},
        {"host:5000:1/repo", "invalid registry", true},
        {"alp\nine", "invalid reference \"alp\\x0aine\"", true},
};

static void test_invalid(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
                const struct invalid_case *c = &invalid[i];
                struct image_ref ref = {0};
                struct rctr_error err = {0};
                int r = image_ref_parse(c->text, &ref, &err);
                bool match = err.msg && (c->partial ? strstr(err.msg, c->message) != NULL
                                                    : streq(err.msg, c->message));

                if (!ok(r == -EINVAL && err.code == EINVAL && match && !ref.repository,
                        "refuse \"%.*s\"", (int)strcspn(c->text, "\n"), c->text))
                        printf("#   got:  %s\n#   want: %s\n", err.msg ? err.msg : "(success)",
                               c->message);
                image_ref_clear(&ref);
                rctr_error_clear(&err);
        }
}

static void qualified(const char *text, const char *registry, int want_r, const char *want)
{
        struct image_ref ref = {0};
        struct rctr_error err = {0};
        cleanup_free char *before = NULL, *after = NULL;
        int r;

        if (!ok(image_ref_parse(text, &ref, &err) == 0, "parse %s", text)) {
                rctr_error_clear(&err);
                return;
        }
        before = image_ref_string(&ref);
        r = image_ref_qualify(&ref, registry);
        after = image_ref_string(&ref);
        ok(r == want_r, "qualify %s with %s returns %d (got %d)", text, registry, want_r, r);
        is_str(after, want ? want : before, "qualify %s with %s", text, registry);
        image_ref_clear(&ref);
}

static void test_qualify(void)
{
        /* 8 + 247 = 255 characters on quay.io; docker.io/library/ makes it 265. */
        cleanup_free char *long_repo = repeat('a', 247);
        cleanup_free char *long_quay = xasprintf("quay.io/%s:latest", long_repo);

        qualified("alpine", "docker.io", 0, "docker.io/library/alpine:latest");
        qualified("alpine", "index.docker.io", 0, "docker.io/library/alpine:latest");
        qualified("alpine", "quay.io", 0, "quay.io/alpine:latest");
        qualified("org/app:1", "docker.io", 0, "docker.io/org/app:1");
        qualified("alpine@" SHA, "docker.io", 0, "docker.io/library/alpine@" SHA);
        qualified("alpine:3@" SHA, "localhost:5000", 0, "localhost:5000/alpine:3@" SHA);
        qualified("alpine", "[::1]:5000", 0, "[::1]:5000/alpine:latest");
        qualified("quay.io/org/app", "docker.io", 0, "docker.io/org/app:latest");
        /* Refusals leave the reference as it was. */
        qualified("alpine", "bad host", -EINVAL, NULL);
        qualified("alpine", "", -EINVAL, NULL);
        qualified("alpine", "http://quay.io", -EINVAL, NULL);
        qualified(long_repo, "docker.io", -ENAMETOOLONG, NULL);
        qualified(long_repo, "quay.io", 0, long_quay);
}

static void test_name_copy(void)
{
        struct image_ref ref = {0}, copy = {0};
        struct rctr_error err = {0};
        cleanup_free char *name = NULL, *short_name = NULL, *s = NULL;

        ok(image_ref_parse("quay.io/org/app:v1@" SHA, &ref, &err) == 0, "parse");
        name = image_ref_name(&ref);
        is_str(name, "quay.io/org/app", "name drops tag and digest");
        image_ref_copy(&ref, &copy);
        image_ref_clear(&ref);
        ok(!ref.registry && !ref.repository && !ref.tag && !ref.digest, "clear zeroes");
        image_ref_clear(&ref); /* twice is fine */
        s = image_ref_string(&copy);
        is_str(s, "quay.io/org/app:v1@" SHA, "the copy is deep");
        image_ref_clear(&copy);

        ok(image_ref_parse("org/app", &ref, &err) == 0, "parse short");
        short_name = image_ref_name(&ref);
        is_str(short_name, "org/app", "name of a short name");
        image_ref_clear(&ref);
}

static void test_registry_valid(void)
{
        static const char *const good[] = {
                "docker.io",       "localhost", "localhost:5000", "[::1]",   "[::1]:5000",
                "192.168.0.1:443", "a",         "a-b.c-d.e",      "Quay.IO", "xn--n3h.com:1"};
        static const char *const bad[] = {"",          "exa mple.com", "host:",     "host:abc",
                                          "[::1",      "[]",           "a..b",      "-a.com",
                                          "a_b.com",   "quay.io/",     "[::1]5000", "[g::1]",
                                          "a.com:1:2", ".a.com",       "a.com."};

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                ok(image_ref_registry_valid(good[i]), "registry \"%s\" is valid", good[i]);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ok(!image_ref_registry_valid(bad[i]), "registry \"%s\" is not", bad[i]);
        ok(!image_ref_registry_valid(NULL), "NULL is not a registry");
}

int main(void)
{
        test_valid();
        test_limits();
        test_invalid();
        test_qualify();
        test_name_copy();
        test_registry_valid();
        return tap_done();
}
