/*
 * rctr volume SUBCOMMAND: named volumes in the store, as podman's `volume create|ls|inspect|rm|
 * prune|exists`. The volumes themselves are storage/volumes.c's.
 */
#include <config.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "common.h"
#include "engine/container-record.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/store.h"
#include "storage/volumes.h"

/*
 * Which volumes containers use: their records name them (engine/container-users.h). rm and prune
 * ask with volumes/.lock held (storage/volumes.h), where no create can take a volume into use;
 * ls --filter dangling= asks without it.
 */
static void users_close(struct engine_volume_users *u)
{
        engine_volume_users_clear(u);
        closep(&u->ctrsfd);
}

static int users_open(struct cmd_global *g, struct engine_volume_users *u, struct rctr_error *err)
{
        const char *root = cmd_global_store(g, err);

        if (!root)
                return -EINVAL;
        u->ctrsfd = engine_containers_open(root, err);
        return u->ctrsfd < 0 ? u->ctrsfd : 0;
}

static bool in_use(struct engine_volume_users *u, const char *name)
{
        return engine_volume_users_in_use(u, name);
}

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE,
        OPT_IGNORE,
};

/* podman's volume rm exit codes: 1 when a volume does not exist, 2 when one is in use. */
#define EXIT_NO_SUCH_VOLUME 1
#define EXIT_VOLUME_IN_USE  2

/* Open the store (entering the user namespace, rootless) and its volumes directory. */
static int open_volumes(struct cmd_global *g, struct storage_volumes **ret, struct rctr_error *err)
{
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        int r = cmd_store_open(g, &store, NULL, err);

        return r < 0 ? r : storage_volumes_open(store, ret, err);
}

/* "KEY=VALUE" (or "KEY": an empty value) of --label or --opt into obj. */
static int add_key_value(json_t *obj, const char *flag, const char *text, struct rctr_error *err)
{
        const char *eq = strchr(text, '=');
        cleanup_free char *key = eq ? xstrndup(text, (size_t)(eq - text)) : xstrdup(text);
        json_t *value = json_string(eq ? eq + 1 : "");

        if (key[0] == '\0') {
                json_decref(value);
                return rctr_error_set(err, EINVAL, "invalid --%s %s: KEY=VALUE with a key", flag,
                                      text);
        }
        /* jansson refuses text that is not UTF-8: the key here, the value above */
        if (!value || json_object_set_new(obj, key, value) < 0)
                return rctr_error_set(err, EINVAL, "invalid --%s %s: not UTF-8", flag, text);
        return 0;
}

static const struct cmd_opt create_opts[] = {
        {"driver", 'd', "DRIVER", "volume driver: local (the only one)"},
        {"ignore", OPT_IGNORE, NULL, "do nothing if the volume exists (print its name)"},
        {"label", 'l', "KEY=VALUE", "set a label (repeatable)"},
        {"opt", 'o', "KEY=VALUE", "set a driver option, recorded (device, type, o: refused)"},
        {0},
};

static int create_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "volume create",
                               .usage = "rctr volume create [options] [NAME]",
                               .summary = "Create a volume (a random 64-hex name without NAME) "
                                          "and print its name.",
                               .opts = create_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        json_auto_t *labels = json_object(), *options = json_object();
        const char *value, *name = NULL;
        bool ignore = false;
        int c, r = 0;

        while (r >= 0 && (c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                ignore = ignore || c == OPT_IGNORE;
                if (c == 'l' || c == 'o')
                        r = add_key_value(c == 'l' ? labels : options, c == 'l' ? "label" : "opt",
                                          value, err);
                if (c == 'd' && !streq(value, "local"))
                        r = rctr_error_set(err, EINVAL,
                                           "volume driver %s is not supported (only local)", value);
        }
        if (r < 0 || c < 0)
                return r < 0 ? r : c;
        if (argc - p.optind > 1)
                return rctr_error_set(err, EINVAL, "too many arguments (usage: %s)", p.usage);
        name = p.optind < argc ? argv[p.optind] : NULL;
        /* a bad name is said before the store is touched */
        r = name ? storage_volume_check_name(name, err) : 0;
        if (r >= 0)
                r = open_volumes(g, &vs, err);
        if (r >= 0)
                r = storage_volume_create(vs, name, labels, options, ignore, &v, err);
        if (r < 0)
                return r;
        printf("%s\n", v.name);
        return 0;
}

/* ls --filter: podman's name= (a regular expression), label=KEY[=VALUE], driver=, dangling=. */
struct ls_filter {
        regex_t *names; /* owned, n_names compiled: any matches */
        size_t n_names;
        const char **labels; /* borrowed from argv: all match */
        size_t n_labels;
        const char **drivers; /* borrowed from argv: any matches */
        size_t n_drivers;
        int dangling; /* -1: either; 0 or 1 */
};

static void ls_filter_clear(struct ls_filter *f)
{
        for (size_t i = 0; i < f->n_names; i++)
                regfree(&f->names[i]);
        free(f->names);
        free(f->labels);
        free(f->drivers);
}

static void push_text(const char ***v, size_t *n, const char *s)
{
        *v = xreallocarray(*v, *n + 1, sizeof(char *));
        (*v)[(*n)++] = s;
}

static int add_name_filter(struct ls_filter *f, const char *text, const char *re,
                           struct rctr_error *err)
{
        int rc;

        f->names = xreallocarray(f->names, f->n_names + 1, sizeof(*f->names));
        rc = regcomp(&f->names[f->n_names], re, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
                char why[128];

                regerror(rc, &f->names[f->n_names], why, sizeof(why));
                return rctr_error_set(err, EINVAL, "invalid --filter %s: %s", text, why);
        }
        f->n_names++;
        return 0;
}

static int add_filter(struct ls_filter *f, const char *text, struct rctr_error *err)
{
        const char *eq = strchr(text, '=');
        const char *value = eq ? eq + 1 : "";
        size_t keylen = eq ? (size_t)(eq - text) : strlen(text);

        if (keylen == 4 && strncmp(text, "name", 4) == 0)
                return add_name_filter(f, text, value, err);
        if (keylen == 5 && strncmp(text, "label", 5) == 0 && value[0]) {
                push_text(&f->labels, &f->n_labels, eq + 1);
                return 0;
        }
        if (keylen == 6 && strncmp(text, "driver", 6) == 0) {
                push_text(&f->drivers, &f->n_drivers, eq + 1);
                return 0;
        }
        if (keylen == 8 && strncmp(text, "dangling", 8) == 0) {
                if (streq(value, "true") || streq(value, "1"))
                        f->dangling = 1;
                else if (streq(value, "false") || streq(value, "0"))
                        f->dangling = 0;
                else
                        return rctr_error_set(err, EINVAL,
                                              "invalid --filter %s: dangling= takes true or false",
                                              text);
                return 0;
        }
        return rctr_error_set(
                err, EINVAL, "invalid --filter %s (use name=, label=, driver= or dangling=)", text);
}

/* "KEY" matches a volume with that label, "KEY=VALUE" one with that value. */
static bool label_matches(const struct storage_volume *v, const char *want)
{
        const char *eq = strchr(want, '=');
        cleanup_free char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
        json_t *value = json_object_get(v->labels, key);

        return value && (!eq || streq(json_string_value(value), eq + 1));
}

static bool ls_filter_matches(const struct ls_filter *f, struct engine_volume_users *u,
                              const struct storage_volume *v)
{
        bool any = f->n_names == 0;

        for (size_t i = 0; !any && i < f->n_names; i++)
                any = regexec(&f->names[i], v->name, 0, NULL, 0) == 0;
        if (!any)
                return false;
        for (size_t i = 0; i < f->n_labels; i++)
                if (!label_matches(v, f->labels[i]))
                        return false;
        any = f->n_drivers == 0;
        for (size_t i = 0; !any && i < f->n_drivers; i++)
                any = streq(f->drivers[i], v->driver);
        return any && (f->dangling < 0 || f->dangling == !in_use(u, v->name));
}

static const struct cmd_opt ls_opts[] = {
        {"filter", 'f', "FILTER",
         "name=REGEX, label=KEY[=VALUE], driver=local or dangling=true|false (repeatable)"},
        {"format", OPT_FORMAT, "FORMAT", "table (default) or json"},
        {"noheading", 'n', NULL, "do not print the table's heading"},
        {"quiet", 'q', NULL, "print the volume names only"},
        {0},
};

static void ls_print(const struct storage_volume_list *list, const struct ls_filter *f,
                     struct engine_volume_users *u, const char *format, bool quiet, bool heading)
{
        json_auto_t *arr = json_array();
        bool first = true;

        for (size_t i = 0; i < list->n; i++) {
                const struct storage_volume *v = &list->v[i];

                if (!ls_filter_matches(f, u, v))
                        continue;
                if (streq(format, "json")) {
                        json_array_append_new(arr, storage_volume_json(v));
                        continue;
                }
                /* as podman: no heading above no volumes */
                if (first && heading && !quiet)
                        printf("%-12s%s\n", "DRIVER", "VOLUME NAME");
                first = false;
                if (quiet)
                        printf("%s\n", v->name);
                else
                        printf("%-12s%s\n", v->driver, v->name);
        }
        if (streq(format, "json")) {
                json_dumpf(arr, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
        }
}

static int ls_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "volume ls",
                               .usage = "rctr volume ls [options]",
                               .summary = "List volumes: DRIVER and VOLUME NAME, sorted by name.",
                               .opts = ls_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(ls_filter_clear) struct ls_filter filter = {.dangling = -1};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(users_close) struct engine_volume_users users = {.ctrsfd = -1};
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        const char *value, *format = NULL;
        bool quiet = false, heading = true;
        int c, r = 0;

        while (r >= 0 && (c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                quiet = quiet || c == 'q';
                heading = heading && c != 'n';
                if (c == OPT_FORMAT)
                        format = value;
                if (c == 'f')
                        r = add_filter(&filter, value, err);
        }
        if (r < 0 || c < 0)
                return r < 0 ? r : c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        if (quiet && format)
                return rctr_error_set(err, EINVAL,
                                      "quiet and format flags cannot be used together");
        r = cmd_check_table_format(format ? format : "table", err);
        if (r >= 0)
                r = open_volumes(g, &vs, err);
        if (r >= 0)
                r = storage_volume_list(vs, &list, err);
        if (r >= 0 && filter.dangling >= 0)
                r = users_open(g, &users, err);
        if (r < 0)
                return r;
        ls_print(&list, &filter, &users, format ? format : "table", quiet, heading);
        return 0;
}

static const struct cmd_opt inspect_opts[] = {
        {"all", 'a', NULL, "every volume"},
        {0},
};

static int inspect_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "volume inspect",
                               .usage = "rctr volume inspect [options] NAME...",
                               .summary = "Show the records of volumes as a JSON array, as podman "
                                          "does.",
                               .opts = inspect_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        json_auto_t *arr = json_array();
        const char *value;
        bool all = false;
        int c, r = 0;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
        }
        if (c < 0)
                return c;
        if (all == (p.optind < argc))
                return rctr_error_set(err, EINVAL, "give volume names or --all (usage: %s)",
                                      p.usage);
        r = open_volumes(g, &vs, err);
        if (r >= 0 && all)
                r = storage_volume_list(vs, &list, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < list.n; i++)
                json_array_append_new(arr, storage_volume_json(&list.v[i]));
        /* as podman: the volumes found are shown, and the first one missing is the error */
        for (int i = p.optind; !all && i < argc; i++) {
                CLEANUP(storage_volume_clear) struct storage_volume v = {0};

                r = storage_volume_get(vs, argv[i], &v, err);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0)
                        json_array_append_new(arr, storage_volume_json(&v));
        }
        json_dumpf(arr, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        return err->msg ? -err->code : 0;
}

static const struct cmd_opt rm_opts[] = {
        {"all", 'a', NULL, "remove every volume"},
        {"force", 'f', NULL, "remove volumes even when containers use them"},
        {0},
};

/* podman's exit codes for rm: a missing volume 1, one in use 2, anything else 125. */
static int rm_failed(int r, struct rctr_error *err)
{
        if (r == -ENOENT)
                err->exit_status = EXIT_NO_SUCH_VOLUME;
        else if (r == -EBUSY)
                err->exit_status = EXIT_VOLUME_IN_USE;
        return r;
}

static bool named_before(char **names, size_t i)
{
        for (size_t j = 0; j < i; j++)
                if (streq(names[j], names[i]))
                        return true;
        return false;
}

/*
 * All or nothing, as rctr rmi: under the lock every volume is checked before any goes, so that
 * one error line says why nothing was removed.
 */
static int rm_volumes(struct storage_volumes *vs, struct engine_volume_users *u, char **names,
                      size_t n, bool force, struct rctr_error *err)
{
        int r = storage_volumes_lock(vs, true, err);

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = storage_volume_check_removable(vs, names[i], force, engine_volume_users_in_use,
                                                   u, err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (named_before(names, i))
                        continue;
                /* checked above under the lock we still hold */
                r = storage_volume_remove(vs, names[i], true, NULL, NULL, err);
                if (r >= 0)
                        printf("%s\n", names[i]);
        }
        return r < 0 ? rm_failed(r, err) : 0;
}

static int rm_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "volume rm",
                               .usage = "rctr volume rm [options] NAME...",
                               .summary = "Remove volumes and their data, and print their names. "
                                          "All or nothing: when one cannot be removed, none is.",
                               .opts = rm_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        CLEANUP(users_close) struct engine_volume_users users = {.ctrsfd = -1};
        cleanup_free char **names = NULL;
        const char *value;
        bool all = false, force = false;
        size_t n = 0;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
                force = force || c == 'f';
        }
        if (c < 0)
                return c;
        if (all == (p.optind < argc))
                return rctr_error_set(err, EINVAL, "give volume names or --all (usage: %s)",
                                      p.usage);
        r = open_volumes(g, &vs, err);
        if (r >= 0)
                r = users_open(g, &users, err);
        if (r >= 0 && all)
                r = storage_volume_list(vs, &list, err);
        if (r < 0)
                return r;
        names = xreallocarray(NULL, all ? list.n + 1 : (size_t)(argc - p.optind), sizeof(char *));
        for (size_t i = 0; all && i < list.n; i++)
                names[n++] = list.v[i].name;
        for (int i = p.optind; !all && i < argc; i++)
                names[n++] = argv[i];
        return rm_volumes(vs, &users, names, n, force, err);
}

static const struct cmd_opt prune_opts[] = {
        {"force", 'f', NULL, "do not ask for confirmation"},
        {0},
};

/* The volumes the user saw and agreed to, or NULL: any. */
struct prune_ctx {
        char **shown;
        size_t n_shown;
        struct engine_volume_users *users; /* borrowed */
};

/* What prune keeps: a volume in use, and one the user was not shown. */
static bool prune_keeps(void *ud, const char *name)
{
        const struct prune_ctx *ctx = ud;
        bool shown = !ctx->shown;

        for (size_t i = 0; !shown && i < ctx->n_shown; i++)
                shown = streq(ctx->shown[i], name);
        return in_use(ctx->users, name) || !shown;
}

/*
 * List the volumes prune would remove on stderr and ask (podman's words). Returns 1 to go on
 * with ctx->shown set, 0 when there is nothing to do or the answer is no, or -errno.
 */
static int prune_ask(struct storage_volumes *vs, struct prune_ctx *ctx,
                     struct storage_volume_list *list, struct rctr_error *err)
{
        int r = storage_volume_list(vs, list, err);

        if (r < 0)
                return r;
        ctx->shown = xreallocarray(NULL, list->n + 1, sizeof(char *));
        for (size_t i = 0; i < list->n; i++)
                if (!in_use(ctx->users, list->v[i].name))
                        ctx->shown[ctx->n_shown++] = list->v[i].name;
        if (ctx->n_shown == 0) {
                fputs("No dangling volumes found\n", stderr);
                return 0;
        }
        fputs("WARNING! This will remove all volumes not used by at least one container. The "
              "following volumes will be removed:\n",
              stderr);
        for (size_t i = 0; i < ctx->n_shown; i++)
                fprintf(stderr, "%s\n", ctx->shown[i]);
        return cmd_confirm("", "use --force to prune without asking", err);
}

static int prune_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "volume prune",
                               .usage = "rctr volume prune [options]",
                               .summary = "Remove every volume no container uses, and print "
                                          "their names. Asks first, on a terminal, unless "
                                          "--force.",
                               .opts = prune_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        CLEANUP(users_close) struct engine_volume_users users = {.ctrsfd = -1};
        struct prune_ctx ctx = {.users = &users};
        cleanup_free char **shown = NULL;
        cleanup_strv char **removed = NULL;
        const char *value;
        bool force = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                force = force || c == 'f';
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        if (!force && !isatty(STDIN_FILENO))
                return rctr_error_set(err, EINVAL,
                                      "no terminal to ask for confirmation on: use --force to "
                                      "remove the unused volumes without asking");
        r = open_volumes(g, &vs, err);
        if (r >= 0)
                r = users_open(g, &users, err);
        if (r < 0)
                return r;
        if (!force) {
                r = prune_ask(vs, &ctx, &list, err);
                shown = ctx.shown; /* freed here; the names are list's */
                if (r <= 0)
                        return r;
        }
        /* asked without the lock: under it the records are read again */
        engine_volume_users_reset(&users);
        r = storage_volumes_prune(vs, prune_keeps, &ctx, &removed, err);
        for (char **n = removed; n && *n; n++)
                printf("%s\n", *n);
        return r;
}

static int exists_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "volume exists",
                               .usage = "rctr volume exists NAME",
                               .summary = "Exit 0 if the volume NAME exists, 1 if not.",
                               .opts = (const struct cmd_opt[]){{0}},
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;
        if (argc - p.optind != 1)
                return rctr_error_set(err, EINVAL, "give one volume name (usage: %s)", p.usage);
        r = open_volumes(g, &vs, err);
        if (r < 0)
                return r;
        return storage_volume_exists(vs, argv[p.optind]) ? 0 : 1;
}

/* Every error of a subcommand names it: "volume create: invalid volume name ...". */
static int sub_result(int r, const char *sub, struct rctr_error *err)
{
        return r < 0 ? rctr_error_prefix(err, "volume %s", sub) : r;
}

static int volume_create(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(create_run(g, argc, argv, err), "create", err);
}

static int volume_ls(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(ls_run(g, argc, argv, err), "ls", err);
}

static int volume_inspect(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(inspect_run(g, argc, argv, err), "inspect", err);
}

static int volume_rm(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(rm_run(g, argc, argv, err), "rm", err);
}

static int volume_prune(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(prune_run(g, argc, argv, err), "prune", err);
}

static int volume_exists(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(exists_run(g, argc, argv, err), "exists", err);
}

static const struct cmd_def volume_cmds[] = {
        {"create", volume_create, "create a volume"},
        {"exists", volume_exists, "exit 0 if a volume exists, 1 if not"},
        {"inspect", volume_inspect, "show volumes' records (JSON)"},
        {"list", volume_ls, NULL},
        {"ls", volume_ls, "list volumes (also: list)"},
        {"prune", volume_prune, "remove the volumes no container uses"},
        {"remove", volume_rm, NULL},
        {"rm", volume_rm, "remove volumes (also: remove)"},
        {NULL, NULL, NULL},
};

int cmd_volume(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return cmd_dispatch_sub(g, "volume", "Manage named volumes.", volume_cmds, argc, argv, err);
}
