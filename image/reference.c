#include <config.h>
#include "reference.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/*
 * References come from flags, Dockerfiles and config files. Anything longer than a maximal
 * name:tag@digest is refused before we look at it, so error messages stay short.
 */
#define REF_TEXT_MAX 512
/* How much of a bad reference an error message repeats. */
#define REF_QUOTE_MAX 80

#define DOCKER_HUB        "docker.io"
#define DOCKER_HUB_LEGACY "index.docker.io"
#define DEFAULT_TAG       "latest"
#define SHA256_PREFIX     "sha256:"
#define SHA256_HEX_LEN    64

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
        return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_lower_hex(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_hex(char c)
{
        return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

/* The text of a reference for an error message: escaped (it may hold anything) and cut short. */
static char *ref_quote(const char *text)
{
        struct buf b;
        size_t i;

        buf_init(&b, 0);
        for (i = 0; text[i] && i < REF_QUOTE_MAX; i++) {
                unsigned char c = (unsigned char)text[i];

                if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
                        buf_appendf(&b, "\\x%02x", c);
                else
                        buf_append(&b, &text[i], 1);
        }
        if (text[i])
                buf_append(&b, "...", 3);
        return buf_detach(&b);
}

/* One DNS label as docker allows it: alphanumerics, inner dashes. */
static bool domain_label_valid(const char *s, size_t n)
{
        if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

/* host[:port], host being a domain name, an IPv4 address or [IPv6] (no zone, RFC 6874). */
static bool registry_valid(const char *s, size_t n)
{
        size_t host_end, i;

        if (n == 0)
                return false;
        if (s[0] == '[') {
                const char *close = memchr(s, ']', n);

                if (!close || close == s + 1)
                        return false;
                for (const char *p = s + 1; p < close; p++)
                        if (!is_hex(*p) && *p != ':')
                                return false;
                host_end = (size_t)(close - s) + 1;
        } else {
                const char *colon = memchr(s, ':', n);
                size_t label = 0;

                host_end = colon ? (size_t)(colon - s) : n;
                for (i = 0; i <= host_end; i++) {
                        if (i < host_end && s[i] != '.')
                                continue;
                        if (!domain_label_valid(s + label, i - label))
                                return false;
                        label = i + 1;
                }
        }
        if (host_end == n)
                return true;
        /* A port: ':' and digits. The grammar sets no range; connecting will tell. */
        if (s[host_end] != ':' || host_end + 1 == n)
                return false;
        for (i = host_end + 1; i < n; i++)
                if (!is_digit(s[i]))
                        return false;
        return true;
}

bool image_ref_registry_valid(const char *s)
{
        return s && registry_valid(s, strlen(s));
}

/* alnum+ (separator alnum+)*, separator being '.', '_', '__' or one or more '-'. */
static bool path_component_valid(const char *s, size_t n)
{
        size_t i = 0;

        for (;;) {
                size_t start = i;

                while (i < n && is_lower_alnum(s[i]))
                        i++;
                if (i == start)
                        return false;
                if (i == n)
                        return true;
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i++;
                        if (i < n && s[i] == '_')
                                i++;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return false;
                }
        }
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] >= 'A' && s[i] <= 'Z')
                        return true;
        return false;
}

/* Check each '/'-separated component of path; the message names the first bad one. */
static int path_check(const char *path, const char *quoted, struct rctr_error *err)
{
        const char *p = path;

        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t)(slash - p) : strlen(p);
                cleanup_free char *lower = NULL;

                if (n == 0)
                        return rctr_error_set(err, EINVAL,
                                              "invalid reference \"%s\": empty path component",
                                              quoted);
                if (!path_component_valid(p, n)) {
                        lower = xstrndup(p, n);
                        for (char *c = lower; *c; c++)
                                if (*c >= 'A' && *c <= 'Z')
                                        *c = (char)(*c - 'A' + 'a');
                        /* Only case is wrong: say so, as docker does. */
                        if (has_upper(p, n) && path_component_valid(lower, n))
                                return rctr_error_set(
                                        err, EINVAL,
                                        "invalid reference \"%s\": repository name must be "
                                        "lowercase",
                                        quoted);
                        return rctr_error_set(
                                err, EINVAL,
                                "invalid reference \"%s\": invalid path component \"%.*s\" "
                                "(lowercase letters and digits, separated by '.', '_', '__' "
                                "or '-')",
                                quoted, (int)n, p);
                }
                if (!slash)
                        return 0;
                p = slash + 1;
        }
}

/* [\w][\w.-]{0,127} */
static int tag_check(const char *tag, const char *quoted, struct rctr_error *err)
{
        size_t n = strlen(tag);

        if (n == 0)
                return rctr_error_set(err, EINVAL, "invalid reference \"%s\": empty tag", quoted);
        if (n > IMAGE_REF_TAG_MAX)
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": tag is longer than %d characters",
                                      quoted, IMAGE_REF_TAG_MAX);
        for (size_t i = 0; i < n; i++) {
                char c = tag[i];
                cleanup_free char *qtag = NULL;

                if (is_alnum(c) || c == '_' || (i > 0 && (c == '.' || c == '-')))
                        continue;
                qtag = ref_quote(tag);
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": invalid tag \"%s\" (letters, "
                                      "digits, '_', and '.' or '-' after the first character)",
                                      quoted, qtag);
        }
        return 0;
}

/*
 * Only sha256 digests: they name blobs in the store, and it is the only algorithm registries
 * serve in practice. Uppercase hex is refused, as go-digest does.
 */
static int digest_check(const char *digest, const char *quoted, struct rctr_error *err)
{
        const char *colon = strchr(digest, ':');
        size_t n;

        if (colon && colon != digest && strncmp(digest, SHA256_PREFIX, strlen(SHA256_PREFIX)) &&
            strspn(digest, "abcdefghijklmnopqrstuvwxyz0123456789+._-") == (size_t)(colon - digest))
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": unsupported digest algorithm "
                                      "\"%.*s\" (only sha256 is supported)",
                                      quoted, (int)(colon - digest), digest);
        n = strlen(digest);
        if (n == strlen(SHA256_PREFIX) + SHA256_HEX_LEN &&
            strncmp(digest, SHA256_PREFIX, strlen(SHA256_PREFIX)) == 0) {
                const char *hex = digest + strlen(SHA256_PREFIX);
                size_t i;

                for (i = 0; i < SHA256_HEX_LEN && is_lower_hex(hex[i]); i++)
                        ;
                if (i == SHA256_HEX_LEN)
                        return 0;
        }
        return rctr_error_set(err, EINVAL,
                              "invalid reference \"%s\": invalid digest (expected sha256: and %d "
                              "lowercase hex digits)",
                              quoted, SHA256_HEX_LEN);
}

/* docker.io/alpine means docker.io/library/alpine (Docker Hub's official images). */
static char *docker_hub_repository(const char *registry, const char *repository)
{
        if (registry && streq(registry, DOCKER_HUB) && !strchr(repository, '/'))
                return xasprintf("library/%s", repository);
        return xstrdup(repository);
}

static bool is_image_id(const char *s)
{
        size_t i;

        for (i = 0; s[i] && is_lower_hex(s[i]); i++)
                ;
        return i == SHA256_HEX_LEN && s[i] == '\0';
}

/* Split name into registry and path by docker's rule (see the header) and check both. */
static int name_check(const char *name, const char *quoted, char **ret_registry,
                      const char **ret_path, struct rctr_error *err)
{
        const char *slash = strchr(name, '/');
        size_t first = slash ? (size_t)(slash - name) : 0;
        bool has_registry = false;
        int r;

        if (*name == '\0')
                return rctr_error_set(err, EINVAL, "invalid reference \"%s\": empty name", quoted);
        if (strlen(name) > IMAGE_REF_NAME_MAX)
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": name is longer than %d "
                                      "characters",
                                      quoted, IMAGE_REF_NAME_MAX);
        if (slash)
                has_registry = memchr(name, '.', first) || memchr(name, ':', first) ||
                               (first == strlen("localhost") && !strncmp(name, "localhost", first));
        if (has_registry && !registry_valid(name, first))
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": invalid registry \"%.*s\"", quoted,
                                      (int)first, name);

        r = path_check(has_registry ? slash + 1 : name, quoted, err);
        if (r < 0)
                return r;
        *ret_registry = has_registry ? xstrndup(name, first) : NULL;
        *ret_path = has_registry ? slash + 1 : name;
        return 0;
}

int image_ref_parse(const char *text, struct image_ref *ret, struct rctr_error *err)
{
        cleanup_free char *quoted = NULL, *copy = NULL, *registry = NULL;
        char *at, *last_slash, *colon, *tag = NULL, *digest = NULL;
        const char *path = NULL;
        int r;

        if (!text || !*text)
                return rctr_error_set(err, EINVAL, "invalid reference \"\": empty name");
        quoted = ref_quote(text);
        if (strnlen(text, REF_TEXT_MAX + 1) > REF_TEXT_MAX)
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": longer than %d characters", quoted,
                                      REF_TEXT_MAX);
        /* docker refuses 64 hex digits as a name: it is an image id, and would shadow it. */
        if (is_image_id(text))
                return rctr_error_set(err, EINVAL,
                                      "invalid reference \"%s\": a 64-digit hex string is an "
                                      "image id, not a name",
                                      quoted);

        copy = xstrdup(text);
        at = strchr(copy, '@');
        if (at) {
                *at = '\0';
                digest = at + 1;
        }
        /* The tag is after the last ':' of the last component (a port is before a '/'). */
        last_slash = strrchr(copy, '/');
        colon = strrchr(last_slash ? last_slash : copy, ':');
        if (colon) {
                *colon = '\0';
                tag = colon + 1;
        }

        r = name_check(copy, quoted, &registry, &path, err);
        if (r < 0)
                return r;
        if (tag && (r = tag_check(tag, quoted, err)) < 0)
                return r;
        if (digest && (r = digest_check(digest, quoted, err)) < 0)
                return r;

        if (registry && streq(registry, DOCKER_HUB_LEGACY)) {
                free(registry);
                registry = xstrdup(DOCKER_HUB);
        }
        ret->repository = docker_hub_repository(registry, path);
        ret->registry = TAKE_PTR(registry);
        ret->tag = tag ? xstrdup(tag) : digest ? NULL : xstrdup(DEFAULT_TAG);
        ret->digest = digest ? xstrdup(digest) : NULL;
        return 0;
}

char *image_ref_name(const struct image_ref *ref)
{
        if (!ref->registry)
                return xstrdup(ref->repository);
        return xasprintf("%s/%s", ref->registry, ref->repository);
}

char *image_ref_string(const struct image_ref *ref)
{
        return xasprintf("%s%s%s%s%s%s%s", ref->registry ? ref->registry : "",
                         ref->registry ? "/" : "", ref->repository, ref->tag ? ":" : "",
                         ref->tag ? ref->tag : "", ref->digest ? "@" : "",
                         ref->digest ? ref->digest : "");
}

void image_ref_copy(const struct image_ref *src, struct image_ref *ret)
{
        ret->registry = src->registry ? xstrdup(src->registry) : NULL;
        ret->repository = src->repository ? xstrdup(src->repository) : NULL;
        ret->tag = src->tag ? xstrdup(src->tag) : NULL;
        ret->digest = src->digest ? xstrdup(src->digest) : NULL;
}

void image_ref_clear(struct image_ref *ref)
{
        free(ref->registry);
        free(ref->repository);
        free(ref->tag);
        free(ref->digest);
        *ref = (struct image_ref){0};
}

int image_ref_qualify(struct image_ref *ref, const char *registry)
{
        cleanup_free char *repository = NULL;

        if (!image_ref_registry_valid(registry))
                return -EINVAL;
        if (streq(registry, DOCKER_HUB_LEGACY))
                registry = DOCKER_HUB;
        repository = docker_hub_repository(registry, ref->repository);
        if (strlen(registry) + 1 + strlen(repository) > IMAGE_REF_NAME_MAX)
                return -ENAMETOOLONG;

        free(ref->registry);
        ref->registry = xstrdup(registry);
        free(ref->repository);
        ref->repository = TAKE_PTR(repository);
        return 0;
}
