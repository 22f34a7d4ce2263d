/* One registries.conf file: its TOML checked against containers-registries.conf(5). */
#include <config.h>
#include "registries-conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "image/registries-conf-private.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/toml.h"
#include "lib/xalloc.h"

static int __attribute__((format(printf, 4, 5)))
conf_err(struct rctr_error *err, const char *path, unsigned line, const char *fmt, ...)
{
        cleanup_free char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        return rctr_error_set(err, EBADMSG, "%s:%u: %s", path, line, msg);
}

void regconf_registry_clear(struct regconf_registry *r)
{
        free(r->prefix);
        free(r->location);
        strv_free(r->mirrors);
        free(r->mirror_insecure);
        free(r->mirror_use);
        free(r->origin);
        *r = (struct regconf_registry){0};
}

void regconf_alias_clear(struct regconf_alias *a)
{
        free(a->name);
        free(a->value);
        free(a->origin);
        *a = (struct regconf_alias){0};
}

void image_regconf_free(struct image_regconf *c)
{
        if (!c)
                return;
        strv_free(c->search);
        free(c->search_origin);
        for (size_t i = 0; i < c->n_registries; i++)
                regconf_registry_clear(&c->registries[i]);
        free(c->registries);
        for (size_t i = 0; i < c->n_aliases; i++)
                regconf_alias_clear(&c->aliases[i]);
        free(c->aliases);
        free(c);
}

/* ---- typed access to the TOML tree; every message names the file and line ---- */

/* 1 and *ret (owned) when key is a string, 0 when absent. */
static int get_string(const char *path, const struct toml_value *t, const char *ctx,
                      const char *key, char **ret, struct rctr_error *err)
{
        const struct toml_value *v = toml_get(t, key);

        if (!v)
                return 0;
        if (v->type != TOML_STRING)
                return conf_err(err, path, v->line, "%s%s: expected a string, not a %s", ctx, key,
                                toml_type_name(v->type));
        *ret = xstrdup(v->s);
        return 1;
}

static int get_bool(const char *path, const struct toml_value *t, const char *ctx, const char *key,
                    bool *ret, struct rctr_error *err)
{
        const struct toml_value *v = toml_get(t, key);

        if (!v)
                return 0;
        if (v->type != TOML_BOOL)
                return conf_err(err, path, v->line, "%s%s: expected true or false, not a %s", ctx,
                                key, toml_type_name(v->type));
        *ret = v->b;
        return 1;
}

/* An array of strings: 1 and *ret (owned, NULL-terminated), 0 when absent. */
static int get_strv(const char *path, const struct toml_value *t, const char *ctx, const char *key,
                    char ***ret, struct rctr_error *err)
{
        const struct toml_value *v = toml_get(t, key);
        cleanup_strv char **list = NULL;

        if (!v)
                return 0;
        if (v->type != TOML_ARRAY)
                return conf_err(err, path, v->line, "%s%s: expected an array of strings, not a %s",
                                ctx, key, toml_type_name(v->type));
        list = xzalloc((v->n_items + 1) * sizeof(*list));
        for (size_t i = 0; i < v->n_items; i++) {
                const struct toml_value *item = v->items[i];

                if (item->type != TOML_STRING)
                        return conf_err(err, path, item->line,
                                        "%s%s: expected an array of strings, not of %ss", ctx, key,
                                        toml_type_name(item->type));
                list[i] = xstrdup(item->s);
        }
        *ret = TAKE_PTR(list);
        return 1;
}

/*
 * A location or prefix: trailing slashes dropped. A URL is a common mistake; registries are
 * named by host, and the scheme is decided by insecure.
 */
static int location_check(const char *path, unsigned line, const char *ctx, const char *key,
                          char *s, struct rctr_error *err)
{
        size_t n = strlen(s);

        while (n > 0 && s[n - 1] == '/')
                s[--n] = '\0';
        if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8))
                return conf_err(
                        err, path, line,
                        "%s%s \"%s\": URL schemes are not supported (give host[:port][/path])", ctx,
                        key, s);
        return 0;
}

/* ---- one [[registry]] table ---- */

static int mirror_use_parse(const char *path, unsigned line, const char *s,
                            enum regconf_mirror_use *ret, struct rctr_error *err)
{
        if (!*s || streq(s, "all"))
                *ret = REGCONF_MIRROR_ALL;
        else if (streq(s, "digest-only"))
                *ret = REGCONF_MIRROR_DIGEST_ONLY;
        else if (streq(s, "tag-only"))
                *ret = REGCONF_MIRROR_TAG_ONLY;
        else
                return conf_err(err, path, line,
                                "[[registry.mirror]] pull-from-mirror: unknown value \"%s\" "
                                "(all, digest-only or tag-only)",
                                s);
        return 0;
}

static int mirrors_from_toml(const char *path, const struct toml_value *list,
                             struct regconf_registry *reg, struct rctr_error *err)
{
        static const char ctx[] = "[[registry.mirror]] ";
        size_t n;
        int r;

        if (list->type != TOML_ARRAY)
                return conf_err(err, path, list->line,
                                "mirror: expected [[registry.mirror]] tables, not a %s",
                                toml_type_name(list->type));
        n = list->n_items;
        reg->mirrors = xzalloc((n + 1) * sizeof(*reg->mirrors));
        reg->mirror_insecure = xzalloc((n + 1) * sizeof(*reg->mirror_insecure));
        reg->mirror_use = xzalloc((n + 1) * sizeof(*reg->mirror_use));
        for (size_t i = 0; i < n; i++) {
                const struct toml_value *m = list->items[i];
                cleanup_free char *location = NULL, *use = NULL;

                if (m->type != TOML_TABLE)
                        return conf_err(err, path, m->line,
                                        "mirror: expected [[registry.mirror]] tables, not a %s",
                                        toml_type_name(m->type));
                if ((r = get_string(path, m, ctx, "location", &location, err)) < 0 ||
                    (r = get_bool(path, m, ctx, "insecure", &reg->mirror_insecure[i], err)) < 0 ||
                    (r = get_string(path, m, ctx, "pull-from-mirror", &use, err)) < 0)
                        return r;
                if (location &&
                    (r = location_check(path, m->line, ctx, "location", location, err)) < 0)
                        return r;
                if (!location || !*location)
                        return conf_err(err, path, m->line,
                                        "[[registry.mirror]]: location is unset");
                if (use && *use && reg->mirror_by_digest_only)
                        return conf_err(err, path, m->line,
                                        "[[registry.mirror]] \"%s\": pull-from-mirror cannot be "
                                        "combined with the registry's mirror-by-digest-only",
                                        location);
                if (use && (r = mirror_use_parse(path, m->line, use, &reg->mirror_use[i], err)) < 0)
                        return r;
                reg->mirrors[i] = TAKE_PTR(location);
                reg->n_mirrors++;
        }
        return 0;
}

/* prefix and location, checked as containers-registries.conf(5) describes them. */
static int registry_names(const char *path, const struct toml_value *t,
                          struct regconf_registry *reg, struct rctr_error *err)
{
        static const char ctx[] = "[[registry]] ";
        int r;

        if ((r = get_string(path, t, ctx, "prefix", &reg->prefix, err)) < 0 ||
            (r = get_string(path, t, ctx, "location", &reg->location, err)) < 0)
                return r;
        if ((reg->location &&
             (r = location_check(path, t->line, ctx, "location", reg->location, err)) < 0) ||
            (reg->prefix &&
             (r = location_check(path, t->line, ctx, "prefix", reg->prefix, err)) < 0))
                return r;
        if (reg->location && !*reg->location) {
                free(reg->location);
                reg->location = NULL;
        }
        if (reg->prefix && !*reg->prefix) {
                free(reg->prefix);
                reg->prefix = NULL;
        }
        if (!reg->prefix) {
                if (!reg->location)
                        return conf_err(err, path, t->line,
                                        "[[registry]]: both prefix and location are unset");
                reg->prefix = xstrdup(reg->location);
                return 0;
        }
        /* "*.example.com" matches any subdomain; nothing else may come with the wildcard. */
        if (!strncmp(reg->prefix, "*.", 2)) {
                if (strpbrk(reg->prefix, "/@:") || strchr(reg->prefix + 1, '*'))
                        return conf_err(err, path, t->line,
                                        "[[registry]] prefix \"%s\": a wildcard prefix must be of "
                                        "the form *.example.com",
                                        reg->prefix);
                return 0;
        }
        if (!reg->location)
                return conf_err(err, path, t->line,
                                "[[registry]] prefix \"%s\": location is unset (only a "
                                "*.example.com prefix may go without one)",
                                reg->prefix);
        return 0;
}

static int registry_from_toml(const char *path, const struct toml_value *t,
                              struct regconf_registry *reg, struct rctr_error *err)
{
        static const char ctx[] = "[[registry]] ";
        cleanup_free char *use = NULL;
        const struct toml_value *mirrors;
        int r;

        if (t->type != TOML_TABLE)
                return conf_err(err, path, t->line,
                                "registry: expected [[registry]] tables, not a %s",
                                toml_type_name(t->type));
        reg->origin = xstrdup(path);
        reg->line = t->line;
        r = registry_names(path, t, reg, err);
        if (r < 0)
                return r;
        if ((r = get_bool(path, t, ctx, "insecure", &reg->insecure, err)) < 0 ||
            (r = get_bool(path, t, ctx, "blocked", &reg->blocked, err)) < 0 ||
            (r = get_bool(path, t, ctx, "mirror-by-digest-only", &reg->mirror_by_digest_only,
                          err)) < 0 ||
            (r = get_string(path, t, ctx, "pull-from-mirror", &use, err)) < 0)
                return r;
        if (use && *use)
                return conf_err(err, path, t->line,
                                "[[registry]] \"%s\": pull-from-mirror may only be set for a "
                                "[[registry.mirror]]",
                                reg->prefix);
        mirrors = toml_get(t, "mirror");
        return mirrors ? mirrors_from_toml(path, mirrors, reg, err) : 0;
}

/* ---- one file ---- */

int regconf_registries_add(struct image_regconf *c, const char *path, struct regconf_registry *reg,
                           struct rctr_error *err)
{
        if (c->n_registries >= REGCONF_MAX_REGISTRIES) {
                regconf_registry_clear(reg);
                return rctr_error_set(err, EFBIG, "%s: more than %d [[registry]] tables", path,
                                      REGCONF_MAX_REGISTRIES);
        }
        c->registries = xreallocarray(c->registries, c->n_registries + 1, sizeof(*c->registries));
        c->registries[c->n_registries++] = *reg;
        *reg = (struct regconf_registry){0};
        return 0;
}

static const char *registry_key(const struct regconf_registry *r)
{
        return r->location ? r->location : r->prefix;
}

/*
 * Within one file: the same location named twice must agree on insecure and blocked, and the
 * first table of a prefix wins, as in containers/image (later ones could never match).
 */
static int registries_check(struct image_regconf *c, const char *path, struct rctr_error *err)
{
        size_t kept = 0;

        for (size_t i = 0; i < c->n_registries; i++)
                for (size_t j = 0; j < i; j++) {
                        const struct regconf_registry *a = &c->registries[j],
                                                      *b = &c->registries[i];

                        if (!streq(registry_key(a), registry_key(b)))
                                continue;
                        if (a->insecure != b->insecure || a->blocked != b->blocked)
                                return conf_err(err, path, b->line,
                                                "[[registry]] \"%s\" was defined on line %u "
                                                "with a different %s setting",
                                                registry_key(b), a->line,
                                                a->insecure != b->insecure ? "insecure"
                                                                           : "blocked");
                }
        for (size_t i = 0; i < c->n_registries; i++) {
                bool dup = false;

                for (size_t j = 0; j < kept && !dup; j++)
                        dup = streq(c->registries[j].prefix, c->registries[i].prefix);
                if (dup) {
                        log_debug("%s:%u: [[registry]] prefix \"%s\" is defined earlier, ignoring",
                                  path, c->registries[i].line, c->registries[i].prefix);
                        regconf_registry_clear(&c->registries[i]);
                } else {
                        c->registries[kept++] = c->registries[i];
                }
        }
        c->n_registries = kept;
        return 0;
}

/* [aliases]: "short-name" = "registry/repository" (or "" to erase an earlier alias). */
static int aliases_from_toml(const char *path, const struct toml_value *t, struct image_regconf *c,
                             struct rctr_error *err)
{
        if (t->type != TOML_TABLE)
                return conf_err(err, path, t->line, "aliases: expected a table, not a %s",
                                toml_type_name(t->type));
        if (t->n_keys > REGCONF_MAX_ALIASES)
                return rctr_error_set(err, EFBIG, "%s: more than %d aliases", path,
                                      REGCONF_MAX_ALIASES);
        c->aliases = xzalloc((t->n_keys + 1) * sizeof(*c->aliases));
        for (size_t i = 0; i < t->n_keys; i++) {
                const char *name = t->keys[i];
                const struct toml_value *v = t->values[i];
                cleanup_image_ref struct image_ref ref = {0};
                cleanup_error struct rctr_error e = {0};
                const char *slash;

                if (v->type != TOML_STRING)
                        return conf_err(err, path, v->line,
                                        "[aliases] \"%s\": expected a string, not a %s", name,
                                        toml_type_name(v->type));
                /* The name is a short name alone: tag and digest are the user's to add. */
                if (image_ref_parse(name, &ref, &e) < 0)
                        return conf_err(err, path, v->line, "[aliases]: %s", e.msg);
                if (ref.registry || strpbrk(name, ":@"))
                        return conf_err(err, path, v->line,
                                        "[aliases] \"%s\": the name must be a short name, without "
                                        "registry, tag or digest",
                                        name);
                image_ref_clear(&ref);
                c->aliases[i].name = xstrdup(name);
                c->aliases[i].origin = xstrdup(path);
                c->n_aliases++;
                if (!*v->s)
                        continue;
                slash = strrchr(v->s, '/');
                if (image_ref_parse(v->s, &ref, &e) < 0)
                        return conf_err(err, path, v->line, "[aliases] \"%s\": %s", name, e.msg);
                if (!ref.registry || strchr(v->s, '@') || (slash && strchr(slash, ':')))
                        return conf_err(err, path, v->line,
                                        "[aliases] \"%s\": \"%s\" must be a fully-qualified name "
                                        "(registry/repository) without tag or digest",
                                        name, v->s);
                c->aliases[i].value = image_ref_name(&ref);
        }
        return 0;
}

static int search_from_toml(const char *path, const struct toml_value *root,
                            struct image_regconf *c, struct rctr_error *err)
{
        static const char key[] = "unqualified-search-registries";
        const struct toml_value *v = toml_get(root, key);
        int r;

        r = get_strv(path, root, "", key, &c->search, err);
        if (r <= 0)
                return r;
        c->search_origin = xstrdup(path);
        for (size_t i = 0; c->search[i]; i++) {
                r = location_check(path, v->items[i]->line, "", key, c->search[i], err);
                if (r < 0)
                        return r;
                if (!image_ref_registry_valid(c->search[i]))
                        return conf_err(err, path, v->items[i]->line,
                                        "%s: \"%s\" is not a registry (host[:port])", key,
                                        c->search[i]);
        }
        return 0;
}

static int mode_from_toml(const char *path, const struct toml_value *root, struct image_regconf *c,
                          struct rctr_error *err)
{
        cleanup_free char *mode = NULL;
        int r;

        r = get_string(path, root, "", "short-name-mode", &mode, err);
        if (r <= 0 || !*mode)
                return r;
        c->mode_set = true;
        if (streq(mode, "enforcing"))
                c->mode = IMAGE_SHORTNAME_ENFORCING;
        else if (streq(mode, "permissive"))
                c->mode = IMAGE_SHORTNAME_PERMISSIVE;
        else if (streq(mode, "disabled"))
                c->mode = IMAGE_SHORTNAME_DISABLED;
        else
                return conf_err(err, path, toml_get(root, "short-name-mode")->line,
                                "short-name-mode: unknown value \"%s\" (enforcing, permissive or "
                                "disabled)",
                                mode);
        return 0;
}

/* The deprecated version 1: [registries.search|insecure|block] registries = [...]. */
static int v1_list(const char *path, const struct toml_value *v1, const char *name, char ***ret,
                   struct rctr_error *err)
{
        const struct toml_value *t = toml_get(v1, name);
        cleanup_free char *ctx = xasprintf("[registries.%s] ", name);

        if (t && t->type != TOML_TABLE)
                return conf_err(err, path, t->line, "registries.%s: expected a table", name);
        return get_strv(path, t, ctx, "registries", ret, err);
}

static int v1_from_toml(const char *path, const struct toml_value *v1, struct image_regconf *c,
                        struct rctr_error *err)
{
        cleanup_strv char **insecure = NULL, **block = NULL;
        int r;

        if ((r = v1_list(path, v1, "search", &c->search, err)) < 0 ||
            (r = v1_list(path, v1, "insecure", &insecure, err)) < 0 ||
            (r = v1_list(path, v1, "block", &block, err)) < 0)
                return r;
        if (c->search)
                c->search_origin = xstrdup(path);
        /* Each listed registry becomes a [[registry]] with location = prefix = its name. */
        for (int pass = 0; pass < 2; pass++)
                for (char **s = pass ? block : insecure; s && *s; s++) {
                        struct regconf_registry reg = {0};
                        size_t i;

                        for (i = 0; i < c->n_registries; i++)
                                if (streq(c->registries[i].prefix, *s))
                                        break;
                        if (i == c->n_registries) {
                                reg.prefix = xstrdup(*s);
                                reg.location = xstrdup(*s);
                                reg.origin = xstrdup(path);
                                reg.line = v1->line;
                                r = regconf_registries_add(c, path, &reg, err);
                                if (r < 0)
                                        return r;
                        }
                        if (pass)
                                c->registries[i].blocked = true;
                        else
                                c->registries[i].insecure = true;
                }
        return 0;
}

static bool v1_is_set(const struct toml_value *v1)
{
        static const char *const names[] = {"search", "insecure", "block"};

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                const struct toml_value *list = toml_get(toml_get(v1, names[i]), "registries");

                if (list && (list->type != TOML_ARRAY || list->n_items > 0))
                        return true;
        }
        return false;
}

/* The version 2 keys at the top of a file (containers-registries.conf(5)). */
static bool v2_key(const char *key)
{
        static const char *const keys[] = {"unqualified-search-registries",
                                           "registry",
                                           "aliases",
                                           "short-name-mode",
                                           "credential-helpers",
                                           "additional-layer-store-auth-helper"};

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (streq(key, keys[i]))
                        return true;
        return false;
}

static bool v2_is_set(const struct toml_value *root)
{
        for (size_t i = 0; i < root->n_keys; i++)
                if (v2_key(root->keys[i]))
                        return true;
        return false;
}

static int regconf_from_toml(const char *path, const struct toml_value *root, bool main_file,
                             struct image_regconf *c, struct rctr_error *err)
{
        const struct toml_value *v1 = toml_get(root, "registries"), *regs, *aliases;
        int r;

        if (v1 && v1_is_set(v1)) {
                if (!main_file)
                        return conf_err(err, path, v1->line,
                                        "[registries.*] is the version 1 format, which drop-ins "
                                        "may not use (see containers-registries.conf(5))");
                if (v2_is_set(root))
                        return conf_err(err, path, v1->line,
                                        "[registries.*] is the version 1 format, which cannot be "
                                        "mixed with version 2 keys in one file");
                r = v1_from_toml(path, v1, c, err);
                return r < 0 ? r : registries_check(c, path, err);
        }
        /* Unknown keys are skipped, as containers/image does: newer files keep working. */
        for (size_t i = 0; i < root->n_keys; i++)
                if (!v2_key(root->keys[i]) && !streq(root->keys[i], "registries"))
                        log_debug("%s:%u: ignoring unknown key \"%s\"", path, root->values[i]->line,
                                  root->keys[i]);
        if ((r = search_from_toml(path, root, c, err)) < 0 ||
            (r = mode_from_toml(path, root, c, err)) < 0)
                return r;
        regs = toml_get(root, "registry");
        if (regs && regs->type != TOML_ARRAY)
                return conf_err(err, path, regs->line,
                                "registry: expected [[registry]] tables, not a %s",
                                toml_type_name(regs->type));
        for (size_t i = 0; regs && i < regs->n_items; i++) {
                struct regconf_registry reg = {0};

                r = registry_from_toml(path, regs->items[i], &reg, err);
                if (r >= 0)
                        r = regconf_registries_add(c, path, &reg, err);
                if (r < 0) {
                        regconf_registry_clear(&reg);
                        return r;
                }
        }
        r = registries_check(c, path, err);
        if (r < 0)
                return r;
        aliases = toml_get(root, "aliases");
        return aliases ? aliases_from_toml(path, aliases, c, err) : 0;
}

int regconf_read(const char *path, bool main_file, struct image_regconf **ret,
                 struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        cleanup_close int fd = -1;
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        cleanup_regconf struct image_regconf *c = xzalloc(sizeof(*c));
        int r;

        buf_init(&text, IMAGE_REGCONF_FILE_MAX);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        r = fs_read_fd(fd, &text, path, err);
        if (r < 0)
                return r;
        r = toml_parse(text.data, text.len, path, &root, err);
        if (r < 0)
                return r;
        r = regconf_from_toml(path, root, main_file, c, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
