/* Questions asked of a loaded registries.conf: which [[registry]], where to pull, short names. */
#include <config.h>
#include "registries-conf.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "image/reference.h"
#include "image/registries-conf-private.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/*
 * How much of name the prefix matches, or -1. A plain prefix must be followed by the end of
 * name or by ':', '/' or '@', so "example.com/foo" does not match "example.com/foobar" (nor,
 * as containers/image documents and warns against relying on, "example.com" only its own
 * host: it matches "example.com:5000" too). "*.example.com" matches a host ending in
 * ".example.com", and the match covers the host.
 */
static ssize_t prefix_match(const char *name, const char *prefix)
{
        size_t n = strlen(prefix);

        if (!strncmp(prefix, "*.", 2)) {
                const char *suffix = prefix + 1;
                size_t host = strcspn(name, ":/@"), len = strlen(suffix);

                if (host > len && !memcmp(name + host - len, suffix, len))
                        return (ssize_t)host;
                return -1;
        }
        if (strncmp(name, prefix, n))
                return -1;
        if (name[n] == '\0' || name[n] == ':' || name[n] == '/' || name[n] == '@')
                return (ssize_t)n;
        return -1;
}

/* The longest prefix wins; among equals, the first in prefix order (as containers/image). */
static const struct regconf_registry *registry_find(const struct image_regconf *c, const char *name,
                                                    size_t *ret_match)
{
        const struct regconf_registry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < c->n_registries; i++) {
                const struct regconf_registry *r = &c->registries[i];
                ssize_t m = prefix_match(name, r->prefix);

                if (m >= 0 && strlen(r->prefix) > best_len) {
                        best = r;
                        best_len = strlen(r->prefix);
                        *ret_match = (size_t)m;
                }
        }
        return best;
}

int image_regconf_lookup(const struct image_regconf *c, const char *name,
                         struct image_registry_info *ret)
{
        size_t match = 0;
        const struct regconf_registry *r = registry_find(c, name, &match);

        *ret = (struct image_registry_info){0};
        if (!r)
                return 0;
        ret->prefix = r->prefix;
        ret->location = r->location;
        ret->insecure = r->insecure;
        ret->blocked = r->blocked;
        ret->mirrors = r->mirrors;
        ret->mirror_insecure = r->mirror_insecure;
        ret->n_mirrors = r->n_mirrors;
        ret->origin = r->origin;
        return 1;
}

void image_pull_sources_free(struct image_pull_source *v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

/* name with its first match bytes replaced by location (NULL: kept), checked and normalized. */
static int rewrite(const struct regconf_registry *reg, const char *name, size_t match,
                   const char *location, char **ret, struct rctr_error *err)
{
        cleanup_free char *text = NULL;
        cleanup_image_ref struct image_ref ref = {0};
        int r;

        if (!location) {
                *ret = xstrdup(name);
                return 0;
        }
        text = xasprintf("%s%s", location, name + match);
        r = image_ref_parse(text, &ref, err);
        if (r >= 0 && !ref.registry)
                r = rctr_error_set(err, EINVAL, "\"%s\" has no registry", text);
        if (r < 0)
                return rctr_error_prefix(err, "rewrite %s for [[registry]] prefix \"%s\" (%s:%u)",
                                         name, reg->prefix, reg->origin, reg->line);
        *ret = image_ref_string(&ref);
        return 0;
}

static bool mirror_applies(const struct regconf_registry *reg, size_t i, bool digested)
{
        /* Only a digest names the same image everywhere; a mirror's tags may lag behind. */
        if (reg->mirror_by_digest_only)
                return digested;
        switch (reg->mirror_use[i]) {
        case REGCONF_MIRROR_DIGEST_ONLY:
                return digested;
        case REGCONF_MIRROR_TAG_ONLY:
                return !digested;
        case REGCONF_MIRROR_ALL:
                break;
        }
        return true;
}

int image_regconf_pull_sources(const struct image_regconf *c, const struct image_ref *ref,
                               struct image_pull_source **ret, struct rctr_error *err)
{
        cleanup_free char *name = image_ref_string(ref);
        struct image_pull_source *v = NULL;
        const struct regconf_registry *reg;
        size_t match = 0, n = 0;
        int r;

        if (!ref->registry)
                return rctr_error_set(err, EINVAL, "%s is not a fully-qualified reference", name);
        reg = registry_find(c, name, &match);
        if (reg && reg->blocked)
                return rctr_error_set(err, EACCES,
                                      "%s is blocked by [[registry]] prefix \"%s\" (%s:%u)", name,
                                      reg->prefix, reg->origin, reg->line);
        v = xzalloc(((reg ? reg->n_mirrors : 0) + 1) * sizeof(*v));
        for (size_t i = 0; reg && i < reg->n_mirrors; i++) {
                if (!mirror_applies(reg, i, ref->digest != NULL))
                        continue;
                r = rewrite(reg, name, match, reg->mirrors[i], &v[n].name, err);
                if (r < 0) {
                        image_pull_sources_free(v, n);
                        return r;
                }
                v[n++].insecure = reg->mirror_insecure[i];
        }
        r = rewrite(reg, name, match, reg ? reg->location : NULL, &v[n].name, err);
        if (r < 0) {
                image_pull_sources_free(v, n);
                return r;
        }
        v[n++].insecure = reg && reg->insecure;
        *ret = v;
        return (int)n;
}

/* "a", "a or b", "a, b or c" */
static char *join_or(char **names, size_t n)
{
        struct buf b;

        buf_init(&b, 0);
        for (size_t i = 0; i < n; i++)
                buf_appendf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
        return buf_detach(&b);
}

static void strv_push(char ***v, size_t *n, char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(**v));
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
}

/* The alias's name with ref's tag and digest. Returns 1 when an alias applies. */
static int resolve_alias(const struct image_regconf *c, const struct image_ref *ref, char **ret,
                         struct rctr_error *err)
{
        const struct regconf_alias *alias = regconf_alias_find(c, ref->repository);
        cleanup_image_ref struct image_ref target = {0};
        int r;

        /* An alias set to "" by a later file is erased: the search list applies again. */
        if (!alias || !alias->value)
                return 0;
        r = image_ref_parse(alias->value, &target, err);
        if (r < 0)
                return rctr_error_prefix(err, "alias of \"%s\" in %s", ref->repository,
                                         alias->origin);
        free(target.tag);
        target.tag = ref->tag ? xstrdup(ref->tag) : NULL;
        target.digest = ref->digest ? xstrdup(ref->digest) : NULL;
        *ret = image_ref_string(&target);
        return 1;
}

int image_regconf_resolve_short(const struct image_regconf *c, const struct image_ref *ref,
                                bool have_tty, char ***ret, struct rctr_error *err)
{
        cleanup_strv char **v = NULL, **names = NULL;
        cleanup_free char *alias = NULL, *list = NULL;
        size_t n = 0, n_names = 0;
        int r;

        if (ref->registry) {
                strv_push(&v, &n, image_ref_string(ref));
                *ret = TAKE_PTR(v);
                return 0;
        }
        r = resolve_alias(c, ref, &alias, err);
        if (r < 0)
                return r;
        if (r > 0) {
                strv_push(&v, &n, TAKE_PTR(alias));
                *ret = TAKE_PTR(v);
                return 0;
        }
        if (!c->search[0])
                return rctr_error_set(err, ENOENT,
                                      "short name \"%s\" has no alias and no "
                                      "unqualified-search-registries are set in %s; use a fully "
                                      "qualified name",
                                      ref->repository,
                                      c->search_origin ? c->search_origin : "registries.conf");
        for (size_t i = 0; c->search[i]; i++) {
                cleanup_image_ref struct image_ref q = {0};

                image_ref_copy(ref, &q);
                r = image_ref_qualify(&q, c->search[i]);
                if (r < 0)
                        return rctr_error_set(err, -r, "qualify \"%s\" with %s: %s",
                                              ref->repository, c->search[i],
                                              r == -ENAMETOOLONG ? "name too long"
                                                                 : "invalid registry");
                strv_push(&v, &n, image_ref_string(&q));
                strv_push(&names, &n_names, image_ref_name(&q));
        }
        /*
         * Several registries may each serve a different image under one name (squatting, see
         * containers-registries.conf(5)); enforcing mode will not guess which one was meant.
         */
        if (n > 1 && c->mode == IMAGE_SHORTNAME_ENFORCING && !have_tty) {
                list = join_or(names, n_names);
                return rctr_error_set(err, EINVAL,
                                      "short name \"%s\" is ambiguous: it could be %s; use a fully "
                                      "qualified name",
                                      ref->repository, list);
        }
        *ret = TAKE_PTR(v);
        return 0;
}
