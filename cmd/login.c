/* rctr login / logout: credentials for a registry in auth.json, checked before they are kept. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "image/auth.h"
#include "image/registry.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"

enum {
        OPT_AUTHFILE = CMD_OPT_FIRST_FREE,
        OPT_PASSWORD_STDIN,
        OPT_TLS_VERIFY,
};

static const struct cmd_opt login_opts[] = {
        {"authfile", OPT_AUTHFILE, "FILE", "where to keep them (default: as podman does)"},
        {"password", 'p', "PASSWORD", "the password (visible to other users: prefer stdin)"},
        {"password-stdin", OPT_PASSWORD_STDIN, NULL, "read the password from stdin"},
        {"tls-verify", OPT_TLS_VERIFY, "BOOL", "require HTTPS and verified certificates"},
        {"username", 'u', "USER", "the user name"},
        {0},
};

static const struct cmd_opt logout_opts[] = {
        {"all", 'a', NULL, "remove the credentials of every registry"},
        {"authfile", OPT_AUTHFILE, "FILE", "the file to edit (default: as podman does)"},
        {0},
};

/* One line of stdin (a pipe, or a terminal without echo), at most 4 KiB. */
static char *read_secret(const char *prompt, bool echo)
{
        struct termios saved, quiet;
        bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
        char line[4096];
        char *nl;

        if (tty) {
                fputs(prompt, stderr);
                if (!echo) {
                        quiet = saved;
                        quiet.c_lflag &= ~(tcflag_t)ECHO;
                        (void)tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
                }
        }
        nl = fgets(line, sizeof(line), stdin) ? line : NULL;
        if (tty && !echo) {
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
                fputc('\n', stderr);
        }
        if (!nl)
                return NULL;
        line[strcspn(line, "\r\n")] = '\0';
        return xstrdup(line);
}

int cmd_login(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "login",
                               .usage = "rctr login [options] REGISTRY",
                               .summary = "Check a user name and password with REGISTRY and keep "
                                          "them in auth.json for pull.",
                               .opts = login_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        cleanup_registry struct image_registry *reg = NULL;
        cleanup_free char *user = NULL, *pass = NULL, *path = NULL;
        const char *value, *authfile = NULL;
        bool from_stdin = false;
        int c, r, tls = -1;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'u')
                        user = xstrdup(value);
                if (c == 'p')
                        pass = xstrdup(value);
                if (c == OPT_PASSWORD_STDIN)
                        from_stdin = true;
                if (c == OPT_AUTHFILE)
                        authfile = value;
                if (c == OPT_TLS_VERIFY && !streq(value, "true") && !streq(value, "false"))
                        return rctr_error_set(err, EINVAL, "invalid --tls-verify %s", value);
                if (c == OPT_TLS_VERIFY)
                        tls = streq(value, "true");
        }
        if (c < 0)
                return c;
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "one registry (usage: %s)", p.usage);
        if (from_stdin && pass)
                return rctr_error_set(err, EINVAL, "--password and --password-stdin: one of them");
        if (!user && from_stdin)
                return rctr_error_set(err, EINVAL, "--password-stdin needs --username");
        if (!user)
                user = read_secret("Username: ", true);
        if (!pass)
                pass = read_secret("Password: ", false);
        if (!user || !pass || !user[0] || !pass[0])
                return rctr_error_set(err, EINVAL, "a user name and a password are needed");
        struct image_registry_opts ro = {
                .host = argv[p.optind], .insecure = tls == 0, .username = user, .password = pass};
        r = image_registry_new(&ro, &reg, err);
        if (r >= 0)
                r = image_registry_check_credentials(reg, err);
        if (r < 0)
                return r;
        path = image_auth_default_path(authfile);
        r = image_auth_store(path, argv[p.optind], user, pass, err);
        if (r < 0)
                return r;
        printf("Login Succeeded!\n");
        return 0;
}

int cmd_logout(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "logout",
                               .usage = "rctr logout [options] REGISTRY",
                               .summary = "Forget the credentials kept for REGISTRY.",
                               .opts = logout_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        cleanup_free char *path = NULL;
        const char *value, *authfile = NULL;
        bool all = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
                if (c == OPT_AUTHFILE)
                        authfile = value;
        }
        if (c < 0)
                return c;
        if (all ? p.optind != argc : p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "one registry, or --all (usage: %s)", p.usage);
        path = image_auth_default_path(authfile);
        r = image_auth_remove(path, all ? NULL : argv[p.optind], err);
        if (r < 0)
                return r;
        if (all)
                printf("Removed login credentials for all registries\n");
        else
                printf("Removed login credentials for %s\n", argv[p.optind]);
        return 0;
}
