#include <config.h>
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

const struct cmd_opt cmd_global_opts[] = {
        {"log-level", CMD_OPT_LOG_LEVEL, "LEVEL",
         "log messages at LEVEL and above: error, warn (default), info, debug, trace"},
        {"root", CMD_OPT_ROOT, "DIR",
         "image and container store (default: ~/.local/share/rctr/storage; root: /var/lib/rctr)"},
        {"runroot", CMD_OPT_RUNROOT, "DIR",
         "state directory (default: $XDG_RUNTIME_DIR/rctr; root: /run/rctr)"},
        {"storage-driver", CMD_OPT_STORAGE_DRIVER, "DRIVER",
         "overlay, fuse-overlayfs or vfs (default: the best this host has, kept per store)"},
        {0},
};

const struct cmd_opt cmd_format_opts[] = {
        {"format", 'f', "FORMAT", "output format: text (default) or json"},
        {0},
};

static const struct cmd_opt help_opt[] = {
        {"help", CMD_OPT_HELP, NULL, "show this help and exit"},
        {0},
};

int cmd_global_apply(struct cmd_global *g, int key, const char *value, struct rctr_error *err)
{
        enum log_level level;

        switch (key) {
        case CMD_OPT_ROOT:
        case CMD_OPT_RUNROOT:
                if (value[0] == '\0')
                        return rctr_error_set(err, EINVAL, "flag --%s needs a directory",
                                              key == CMD_OPT_ROOT ? "root" : "runroot");
                free(key == CMD_OPT_ROOT ? g->root : g->runroot);
                *(key == CMD_OPT_ROOT ? &g->root : &g->runroot) = xstrdup(value);
                return 0;
        case CMD_OPT_STORAGE_DRIVER:
                if (!streq(value, "overlay") && !streq(value, "fuse-overlayfs") &&
                    !streq(value, "vfs"))
                        return rctr_error_set(err, EINVAL,
                                              "unknown --storage-driver %s (overlay, "
                                              "fuse-overlayfs or vfs)",
                                              value);
                free(g->storage_driver);
                g->storage_driver = xstrdup(value);
                return 0;
        case CMD_OPT_LOG_LEVEL:
                if (log_parse_level(value, &level) < 0)
                        return rctr_error_set(err, EINVAL,
                                              "invalid --log-level %s (use error, warn, info, "
                                              "debug or trace)",
                                              value);
                log_max_level = level;
                return 0;
        default:
                return rctr_error_set(err, EINVAL, "unknown global option");
        }
}

static size_t count_opts(const struct cmd_opt *o)
{
        size_t n = 0;

        while (o && o[n].name)
                n++;
        return n;
}

/* Build getopt's tables from ours: the command's options, -h/--help, the global options. */
static void build_tables(const struct cmd_parser *p, struct option **ret_long, char **ret_short)
{
        const struct cmd_opt *sets[] = {p->opts, help_opt, p->global ? cmd_global_opts : NULL};
        size_t total = count_opts(p->opts) + 1 + count_opts(cmd_global_opts), n = 0;
        struct option *lo = xzalloc((total + 1) * sizeof(*lo));
        cleanup_buf struct buf so = {0};

        buf_init(&so, 0);
        /* '+': stop at the first operand when asked; ':': report a missing value as ':' */
        (void)buf_append(&so, p->stop_at_operand ? "+:" : ":", p->stop_at_operand ? 2 : 1);
        for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
                for (const struct cmd_opt *o = sets[s]; o && o->name; o++) {
                        lo[n].name = o->name;
                        lo[n].has_arg = !o->metavar           ? no_argument
                                        : CMD_OPT_OPTIONAL(o) ? optional_argument
                                                              : required_argument;
                        lo[n].val = o->key;
                        n++;
                        if (o->key < CMD_OPT_LONG) {
                                char c = (char)o->key;

                                (void)buf_append(&so, &c, 1);
                                if (o->metavar)
                                        (void)buf_append(&so, "::", CMD_OPT_OPTIONAL(o) ? 2 : 1);
                        }
                }
        }
        *ret_long = lo;
        *ret_short = buf_detach(&so);
}

static bool is_global(int key)
{
        return key == CMD_OPT_ROOT || key == CMD_OPT_RUNROOT || key == CMD_OPT_LOG_LEVEL ||
               key == CMD_OPT_STORAGE_DRIVER;
}

static int bad_flag(const struct cmd_parser *p, int c, struct rctr_error *err)
{
        const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
        const char *see = p->cmdname[0] ? p->cmdname : "";

        if (c == ':')
                return rctr_error_set(err, EINVAL, "flag %s needs a value (see rctr %s%s--help)",
                                      arg, see, see[0] ? " " : "");
        if (optopt && optopt < CMD_OPT_LONG && strncmp(arg, "--", 2) != 0)
                return rctr_error_set(err, EINVAL, "unknown flag -%c (see rctr %s%s--help)", optopt,
                                      see, see[0] ? " " : "");
        return rctr_error_set(err, EINVAL, "unknown flag %s (see rctr %s%s--help)", arg, see,
                              see[0] ? " " : "");
}

int cmd_parser_next(struct cmd_parser *p, const char **ret_value, struct rctr_error *err)
{
        cleanup_free struct option *lo = NULL;
        cleanup_free char *so = NULL;
        int c, r;

        build_tables(p, &lo, &so);
        opterr = 0;
        /* 0 makes GNU getopt start over on this argv: main() parses rctr's own options first. */
        optind = p->optind;
        for (;;) {
                c = getopt_long(p->argc, p->argv, so, lo, NULL);
                p->optind = optind;
                if (c == -1)
                        return 0;
                if (c == '?' || c == ':')
                        return bad_flag(p, c, err);
                if (c == CMD_OPT_HELP) {
                        if (p->usage)
                                cmd_parser_usage(p, stdout);
                        return CMD_OPT_HELP;
                }
                if (!is_global(c)) {
                        *ret_value = optarg;
                        return c;
                }
                r = cmd_global_apply(p->global, c, optarg, err);
                if (r < 0)
                        return r;
        }
}

/* "--name VALUE", but "--rm[=BOOL]" for an optional value */
#define SPACE_BEFORE(o) ((o)->metavar && !CMD_OPT_OPTIONAL(o) ? " " : "")

void cmd_opts_print(FILE *f, const struct cmd_opt *opts)
{
        for (const struct cmd_opt *o = opts; o && o->name; o++) {
                cleanup_free char *left = NULL;

                if (o->key < CMD_OPT_LONG)
                        left = xasprintf("-%c, --%s%s%s", o->key, o->name, SPACE_BEFORE(o),
                                         o->metavar ? o->metavar : "");
                else
                        left = xasprintf("    --%s%s%s", o->name, SPACE_BEFORE(o),
                                         o->metavar ? o->metavar : "");
                fprintf(f, "  %-24s %s\n", left, o->help);
        }
}

void cmd_parser_usage(const struct cmd_parser *p, FILE *f)
{
        fprintf(f, "Usage: %s\n\n%s\n", p->usage, p->summary);
        fputs("\nOptions:\n", f);
        cmd_opts_print(f, p->opts);
        cmd_opts_print(f, help_opt);
        if (!p->global)
                return;
        fputs("\nGlobal options:\n", f);
        cmd_opts_print(f, cmd_global_opts);
}

int cmd_parse_format_only(struct cmd_parser *p, const char **ret_format, struct rctr_error *err)
{
        const char *value, *format = "text";
        int c;

        while ((c = cmd_parser_next(p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 1;
                if (c == 'f')
                        format = value;
        }
        if (c < 0)
                return c;
        if (p->optind < p->argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", p->argv[p->optind]);
        if (!streq(format, "text") && !streq(format, "json"))
                return rctr_error_set(err, EINVAL, "unknown --format %s (use text or json)",
                                      format);
        *ret_format = format;
        return 0;
}

int cmd_check_table_format(const char *format, struct rctr_error *err)
{
        if (!streq(format, "table") && !streq(format, "json"))
                return rctr_error_set(err, EINVAL, "unknown --format %s (use table or json)",
                                      format);
        return 0;
}
