/*
 * Option tables with their help text, parsed with getopt_long. Every command accepts -h/--help
 * and the global options; a bad flag becomes one error line (exit 125), never getopt's own text.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct cmd_global;
struct rctr_error;

enum {
        CMD_OPT_HELP = 'h',
        /* long-only options use keys from here on */
        CMD_OPT_LONG = 0x100,
        CMD_OPT_ROOT,
        CMD_OPT_RUNROOT,
        CMD_OPT_LOG_LEVEL,
        CMD_OPT_STORAGE_DRIVER,
        CMD_OPT_FIRST_FREE, /* commands number their own long-only options from here */
};

struct cmd_opt {
        const char *name;    /* long name without "--" */
        int key;             /* short letter, or >= CMD_OPT_LONG */
        const char *metavar; /* NULL: takes no value; "[=BOOL]": an optional value, given only
                                as --name=value (the option's value is NULL without it) */
        const char *help;
};

#define CMD_OPT_OPTIONAL(o) ((o)->metavar && (o)->metavar[0] == '[')

struct cmd_parser {
        const char *cmdname;        /* "unshare", or "" for rctr itself */
        const char *usage;          /* "rctr unshare [options] [COMMAND [ARG...]]"; NULL: the
                                       caller prints its own help on CMD_OPT_HELP */
        const char *summary;        /* one paragraph shown by --help */
        const struct cmd_opt *opts; /* the command's own options, terminated by {0} */
        bool stop_at_operand;       /* options end at the first operand (unshare CMD -x) */
        struct cmd_global *global;  /* where global options land; NULL: the command does not
                                       take rctr's global options (rctr oci has runc's own) */
        int argc;
        char **argv;
        int optind; /* after the loop: index of the first operand */
};

/*
 * Next option: returns its key (with *ret_value set for options taking a value), 0 at the end of
 * the options, CMD_OPT_HELP after printing --help (the caller returns 0), or -EINVAL with err
 * set for an unknown flag or a missing value. Global options are applied, never returned.
 */
int cmd_parser_next(struct cmd_parser *p, const char **ret_value, struct rctr_error *err);

/* Print the --help text of p to f. */
void cmd_parser_usage(const struct cmd_parser *p, FILE *f);

/* The --format/-f option of commands that print text or JSON, terminated: usable as opts. */
extern const struct cmd_opt cmd_format_opts[];

/*
 * Parse the arguments of a command whose only option is --format (p->opts = cmd_format_opts)
 * and that takes no operand. Returns 1 after printing --help (the command returns 0), 0 with
 * *ret_format set to "text" or "json", or -EINVAL with err set.
 */
int cmd_parse_format_only(struct cmd_parser *p, const char **ret_format, struct rctr_error *err);

/* A --format of commands that print a table or JSON: 0, or -EINVAL with err set. */
int cmd_check_table_format(const char *format, struct rctr_error *err);

/* Print one option per line: "  -x, --name VALUE   help". */
void cmd_opts_print(FILE *f, const struct cmd_opt *opts);

/* Apply a global option (key CMD_OPT_ROOT...). Returns 0, or -EINVAL with err set. */
int cmd_global_apply(struct cmd_global *g, int key, const char *value, struct rctr_error *err);

/* The global options, for rctr's own parser and its --help. */
extern const struct cmd_opt cmd_global_opts[];
