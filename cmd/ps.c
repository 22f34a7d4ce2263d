/* rctr ps: the containers, as podman lists them (table, JSON or a Go template). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/format.h"
#include "cmd/options.h"
#include "cmd/system.h"
#include "engine/container-state.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/template.h"
#include "lib/xalloc.h"

enum {
        OPT_NO_TRUNC = CMD_OPT_FIRST_FREE,
        OPT_FORMAT
};

static const struct cmd_opt ps_opts[] = {
        {"all", 'a', NULL, "all containers (default: only running ones)"},
        {"filter", 'f', "KEY=VALUE", "name=, status=, label=, id=, ancestor= (repeat to narrow)"},
        {"format", OPT_FORMAT, "FORMAT", "table (default), json, or a Go template"},
        {"last", 'n', "N", "the N most recently created containers (implies -a)"},
        {"latest", 'l', NULL, "the most recently created container (implies -a)"},
        {"no-trunc", OPT_NO_TRUNC, NULL, "full ids and commands"},
        {"quiet", 'q', NULL, "only the ids"},
        {"size", 's', NULL, "show the size of each container's changes"},
        {0},
};

static const char default_table[] =
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t"
        "{{.Names}}";
static const char size_table[] =
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t"
        "{{.Names}}\t{{.Size}}";

struct ps_flags {
        bool all, quiet, no_trunc, size;
        int64_t last; /* -1: all */
        const char *format;
        char **filters;
};

/* "Up 3 seconds", "Exited (0) 2 seconds ago", "Created", as podman. */
static char *status_text(const struct engine_ctr_state *s, time_t now)
{
        char d[64];

        switch (s->status) {
        case ENGINE_CTR_CREATED:
                return xstrdup("Created");
        case ENGINE_CTR_PAUSED:
                return xstrdup("Paused");
        case ENGINE_CTR_STOPPING:
                return xstrdup("Stopping");
        case ENGINE_CTR_RUNNING:
                cmd_format_duration(now - cmd_format_parse_time(s->started_at ? s->started_at : ""),
                                    d, sizeof(d));
                return xasprintf("Up %s", d);
        case ENGINE_CTR_EXITED:
        default:
                cmd_format_ago(cmd_format_parse_time(s->finished_at ? s->finished_at : ""), now, d,
                               sizeof(d));
                return xasprintf("Exited (%d) %s", s->exit_code, d);
        }
}

static char *join_command(char **argv, bool no_trunc)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0);
        for (char **a = argv; a && *a; a++)
                (void)buf_appendf(&b, "%s%s", a == argv ? "" : " ", *a);
        /* podman cuts the command at 17 characters with "..." */
        if (!no_trunc && b.len > 20) {
                b.data[17] = '\0';
                return xasprintf("%s...", b.data);
        }
        return buf_detach(&b);
}

static json_t *strv_array(char **v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* One container as the template sees it (podman's ps fields). */
static json_t *ps_item(const struct engine_ctx *ctx, const struct engine_container *c,
                       const struct engine_ctr_state *s, const struct ps_flags *f, time_t now)
{
        time_t created = cmd_format_parse_time(c->created);
        cleanup_free char *status = status_text(s, now),
                          *cmd = join_command(c->command, f->no_trunc);
        char ago[64], when[64], size[64] = "";
        struct tm tm;
        json_t *labels = json_object_get(c->json, "labels");

        cmd_format_ago(created, now, ago, sizeof(ago));
        gmtime_r(&created, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        if (f->size) {
                /* storage/: its changes (merged/ is a mount of the layers: not crossed) */
                cleanup_free char *dir = xasprintf("%s/storage", c->id);

                cmd_format_size(cmd_disk_usage_at(ctx->ctrsfd, dir), size, sizeof(size));
        }
        return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s, "
                         "s:i, s:i, s:b, s:s, s:o}",
                         "ID", c->id, (size_t)(f->no_trunc ? ENGINE_CONTAINER_ID_LEN : 12), "Id",
                         c->id, "Image", c->image_name, "ImageID", c->image_id + 7, "Command", cmd,
                         "Created", (json_int_t)created, "CreatedAt", when, "CreatedHuman", ago,
                         "RunningFor", ago, "Status", status, "State",
                         engine_ctr_status_name(s->status), "Names", c->name, "Labels",
                         json_is_object(labels) ? labels : json_object(), "Ports", "", "ExitCode",
                         s->status == ENGINE_CTR_EXITED ? s->exit_code : 0, "Pid",
                         s->status == ENGINE_CTR_RUNNING ? (int)s->pid : 0, "AutoRemove", c->rm,
                         "Size", size, "Mounts", strv_array(NULL));
}

/* podman's `ps --format json` shape: Names and Command are arrays, Id in full. */
static json_t *ps_json(const struct engine_container *c, const struct engine_ctr_state *s,
                       json_t *item)
{
        time_t started = cmd_format_parse_time(s->started_at ? s->started_at : "");
        time_t exited = cmd_format_parse_time(s->finished_at ? s->finished_at : "");

        return json_pack(
                "{s:b, s:o, s:O, s:O, s:b, s:I, s:i, s:s, s:s, s:s, s:O, s:o, s:[s], "
                "s:O, s:I, s:s, s:O}",
                "AutoRemove", c->rm, "Command", strv_array(c->command), "Created",
                json_object_get(item, "Created"), "CreatedAt",
                json_object_get(item, "CreatedHuman"), "Exited", s->status == ENGINE_CTR_EXITED,
                "ExitedAt", (json_int_t)(exited > 0 ? exited : 0), "ExitCode",
                s->status == ENGINE_CTR_EXITED ? s->exit_code : 0, "Id", c->id, "Image",
                c->image_name, "ImageID", c->image_id + 7, "Labels",
                json_object_get(item, "Labels"), "Mounts", json_array(), "Names", c->name, "Pid",
                json_object_get(item, "Pid"), "StartedAt", (json_int_t)(started > 0 ? started : 0),
                "State", engine_ctr_status_name(s->status), "Status",
                json_object_get(item, "Status"));
}

static bool label_matches(json_t *labels, const char *want)
{
        const char *eq = strchr(want, '=');
        cleanup_free char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
        const char *v = json_string_value(json_object_get(labels, key));

        return v && (!eq || streq(v, eq + 1));
}

/* podman's filters: the same key ORs, different keys AND. */
static int filter_matches(const struct engine_container *c, const struct engine_ctr_state *s,
                          char **filters, bool *ret, struct rctr_error *err)
{
        static const char *const keys[] = {"name", "status", "label", "id", "ancestor"};

        *ret = true;
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                bool any = false, hit = false;
                size_t klen = strlen(keys[k]);

                for (char **f = filters; f && *f; f++) {
                        const char *v = *f + klen + 1;

                        if (strncmp(*f, keys[k], klen) != 0 || (*f)[klen] != '=')
                                continue;
                        any = true;
                        if (k == 0)
                                hit |= strstr(c->name, v) != NULL;
                        else if (k == 1)
                                hit |= streq(v, engine_ctr_status_name(s->status)) ||
                                       (streq(v, "stopped") && s->status == ENGINE_CTR_EXITED);
                        else if (k == 2)
                                hit |= label_matches(json_object_get(c->json, "labels"), v);
                        else if (k == 3)
                                hit |= strncmp(c->id, v, strlen(v)) == 0;
                        else
                                hit |= streq(c->image_name, v) ||
                                       strncmp(c->image_id + 7, v, strlen(v)) == 0 ||
                                       (strchr(c->image_name, '/') &&
                                        strstr(c->image_name, v) != NULL);
                }
                if (any && !hit)
                        *ret = false;
        }
        for (char **f = filters; f && *f; f++) {
                bool known = false;

                for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
                        known |= strncmp(*f, keys[k], strlen(keys[k])) == 0 &&
                                 (*f)[strlen(keys[k])] == '=';
                if (!known)
                        return rctr_error_set(err, EINVAL,
                                              "invalid --filter %s (name=, status=, label=, id= "
                                              "or ancestor=)",
                                              *f);
        }
        return 0;
}

static json_t *headers(void)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
                         "s:s, s:s, s:s, s:s}",
                         "ID", "CONTAINER ID", "Id", "CONTAINER ID", "Image", "IMAGE", "ImageID",
                         "IMAGE ID", "Command", "COMMAND", "Created", "CREATED", "CreatedAt",
                         "CREATED AT", "CreatedHuman", "CREATED", "RunningFor", "CREATED", "Status",
                         "STATUS", "State", "STATE", "Names", "NAMES", "Labels", "LABELS", "Ports",
                         "PORTS", "ExitCode", "EXIT CODE", "Pid", "PID", "AutoRemove",
                         "AUTO REMOVE", "Size", "SIZE");
}

static int print_template(const char *format, json_t *items, struct rctr_error *err)
{
        cleanup_buf struct buf out = {0};
        json_auto_t *head = headers();
        int r;

        buf_init(&out, 0);
        r = tmpl_format_render("ps", format, items, head, &out, err);
        if (r < 0)
                return r;
        fwrite(out.data, 1, out.len, stdout);
        return 0;
}

static int ps_option(struct ps_flags *f, int c, const char *value, struct rctr_error *err)
{
        uint64_t n;

        switch (c) {
        case 'a':
                f->all = true;
                return 0;
        case 'q':
                f->quiet = true;
                return 0;
        case 's':
                f->size = true;
                return 0;
        case OPT_NO_TRUNC:
                f->no_trunc = true;
                return 0;
        case 'l':
                f->last = 1;
                f->all = true;
                return 0;
        case 'n':
                if (parse_u64_max(value, INT32_MAX, &n) < 0)
                        return rctr_error_set(err, EINVAL, "invalid --last %s (a number)", value);
                f->last = (int64_t)n;
                f->all = true;
                return 0;
        case OPT_FORMAT:
                f->format = value;
                return 0;
        case 'f': {
                size_t k = 0;

                while (f->filters && f->filters[k])
                        k++;
                f->filters = xreallocarray(f->filters, k + 2, sizeof(char *));
                f->filters[k] = xstrdup(value);
                f->filters[k + 1] = NULL;
                return 0;
        }
        default:
                return 0;
        }
}

int cmd_ps(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "ps",
                .usage = "rctr ps [options]",
                .summary = "List containers: the running ones, or all with -a.",
                .opts = ps_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        struct ps_flags f = {.last = -1};
        json_auto_t *items = json_array(), *full = json_array();
        time_t now = time(NULL);
        const char *value;
        size_t first = 0;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                r = ps_option(&f, c, value, err);
                if (r < 0)
                        goto out;
        }
        r = c;
        if (r < 0)
                goto out;
        if (p.optind < argc) {
                r = rctr_error_set(err, EINVAL, "ps takes no arguments (usage: %s)", p.usage);
                goto out;
        }
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &l, err);
        if (r < 0)
                goto out;
        if (f.last >= 0 && (size_t)f.last < l.n)
                first = l.n - (size_t)f.last;
        /* newest first, as podman */
        for (size_t i = l.n; i-- > first;) {
                CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
                cleanup_error struct rctr_error ignored = {0};
                bool match = true;
                json_t *item;

                if (engine_container_state(&ctx, l.v[i].id, &s, &ignored) < 0)
                        continue; /* removed while we listed */
                r = filter_matches(&l.v[i], &s, f.filters, &match, err);
                if (r < 0)
                        goto out;
                if (!match || (!f.all && !engine_ctr_status_active(s.status)))
                        continue;
                item = ps_item(&ctx, &l.v[i], &s, &f, now);
                json_array_append_new(full, ps_json(&l.v[i], &s, item));
                json_array_append_new(items, item);
        }
        if (f.quiet) {
                json_t *item;
                size_t i;

                json_array_foreach(items, i, item)
                        printf("%s\n", json_string_value(json_object_get(item, "ID")));
        } else if (f.format && tmpl_format_is_json(f.format)) {
                json_dumpf(full, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
        } else {
                const char *format = f.format && !streq(f.format, "table") ? f.format
                                     : f.size                              ? size_table
                                                                           : default_table;

                r = print_template(format, items, err);
        }
out:
        strv_free(f.filters);
        return r < 0 ? r : 0;
}
