/* What every command shares, in rctr and rctr-oci: start-up, global defaults, exit codes. */
#include <config.h>
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "options.h"
#include "image/reference.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "rootless/rootless.h"
#include "rootless/runtime-dir.h"
#include "storage/images.h"
#include "storage/store.h"
#include "storage/unpack.h"

/* An exec'd process gets fds 0-2 as it expects them: never hand out 0-2 as our own fds. */
void cmd_startup_std_fds(void)
{
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                /* no O_CLOEXEC: this is fd 0, 1 or 2, which must survive exec */
                if (open("/dev/null", O_RDWR) != fd)
                        abort();
        }
}

/* Defaults for the store and the state directory (DESIGN.md, "Persistent layout"). */
int cmd_global_defaults(struct cmd_global *g, struct rctr_error *err)
{
        const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        int r;

        g->rootless = rootless_is_rootless();
        r = rootless_runtime_dir(g->rootless, &g->runtime_dir, err);
        if (r < 0)
                return r;
        if (!g->runroot)
                g->runroot = xasprintf("%s/rctr", g->runtime_dir);
        if (g->root)
                return 0;
        if (!g->rootless)
                g->root = xstrdup("/var/lib/rctr");
        else if (data && data[0] == '/')
                g->root = xasprintf("%s/rctr/storage", data);
        else if (home && home[0] == '/')
                g->root = xasprintf("%s/.local/share/rctr/storage", home);
        /* else none: commands that need the store say so (cmd_global_store()); the runtime,
         * started by conmon without HOME, never does */
        return 0;
}

int cmd_enter_userns(struct cmd_global *g, struct rctr_error *err)
{
        int r = rootless_enter(g->runtime_dir, err);

        return r < 0 ? rctr_error_prefix(err, "enter rootless user namespace") : r;
}

void cmd_global_clear(struct cmd_global *g)
{
        free(g->root);
        free(g->runroot);
        free(g->runtime_dir);
        free(g->storage_driver);
}

/* 125 for our own failures; 126/127 when the command to run could not be executed. */
int cmd_exit_code(const struct rctr_error *err)
{
        return err->exit_status ? err->exit_status : 125;
}

void cmd_startup(void)
{
        cmd_startup_std_fds();
        json_set_alloc_funcs(xmalloc, free);
}

const char *cmd_global_store(const struct cmd_global *g, struct rctr_error *err)
{
        if (!g->root)
                (void)rctr_error_set(
                        err, EINVAL,
                        "no store location: set HOME or XDG_DATA_HOME, or pass --root");
        return g->root;
}

/* One line in uid_map, one id: the user has no subordinate range (a single mapping). */
static bool single_id_mapping(void)
{
        char text[256] = "";
        cleanup_close int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
        unsigned long inside, outside, count;

        if (n <= 0)
                return false;
        text[n] = '\0';
        return sscanf(text, "%lu %lu %lu", &inside, &outside, &count) == 3 && count == 1 &&
               !strchr(strchr(text, '\n') ? strchr(text, '\n') + 1 : "", ' ');
}

int cmd_store_open(struct cmd_global *g, struct storage_store **ret,
                   struct storage_unpack_opts *ret_unpack, struct rctr_error *err)
{
        const char *root = cmd_global_store(g, err);
        int r;

        if (!root)
                return -EINVAL;
        /* rootless, the store's files belong to ids of our namespace: work inside it */
        r = cmd_enter_userns(g, err);
        if (r < 0)
                return r;
        if (ret_unpack) {
                *ret_unpack = (struct storage_unpack_opts){
                        .rootless = g->rootless,
                        .ignore_chown_errors = g->rootless && single_id_mapping(),
                };
        }
        return storage_store_open(root, ret, err);
}

static const char *const short_registries[] = {"localhost", "docker.io"};

/* A name as podman records it: fully qualified (localhost/ for a bare one), :latest added. */
int cmd_image_name(const char *text, char **ret, struct rctr_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        int r = image_ref_parse(text, &ref, err);

        if (r >= 0 && !ref.registry)
                r = image_ref_qualify(&ref, "localhost");
        if (r < 0)
                return r;
        *ret = image_ref_string(&ref);
        return 0;
}

/* Open the store locked and find the image that name refers to. */
/* name as written, then with :latest, then a short name as a local or docker.io one. */
static struct storage_image *find_image(const struct storage_images *imgs, const char *name,
                                        bool *ambiguous)
{
        struct storage_image *img = storage_images_find(imgs, name, ambiguous);
        cleanup_error struct rctr_error ignored = {0};
        cleanup_image_ref struct image_ref ref = {0};

        if (img || *ambiguous || image_ref_parse(name, &ref, &ignored) < 0)
                return img;
        if (ref.registry) {
                cleanup_free char *full = image_ref_string(&ref);

                return storage_images_find(imgs, full, ambiguous);
        }
        for (size_t i = 0; !img && !*ambiguous && i < ARRAY_SIZE(short_registries); i++) {
                cleanup_image_ref struct image_ref q = {0};
                cleanup_free char *full = NULL;

                image_ref_copy(&ref, &q);
                if (image_ref_qualify(&q, short_registries[i]) < 0)
                        break;
                full = image_ref_string(&q);
                img = storage_images_find(imgs, full, ambiguous);
        }
        return img;
}

const char *cmd_image_matching_name(const struct storage_image *img, const char *name)
{
        struct storage_images one = {.v = (struct storage_image *)img, .n = 1};
        bool ambiguous = false;

        for (char **n = img->names; n && *n; n++) {
                struct storage_image only = {.id = img->id, .names = (char *[]){*n, NULL}};

                one.v = &only;
                if (!streq(img->id, name) && strncmp(img->id + 7, name, strlen(name)) != 0 &&
                    find_image(&one, name, &ambiguous))
                        return *n;
        }
        return NULL;
}

int cmd_image_find(const struct storage_images *imgs, const char *name, struct storage_image **ret,
                   struct rctr_error *err)
{
        bool ambiguous = false;

        *ret = find_image(imgs, name, &ambiguous);
        if (*ret)
                return 0;
        if (ambiguous)
                return rctr_error_set(err, EINVAL,
                                      "%s is the prefix of several image ids: give more of it",
                                      name);
        return rctr_error_set(err, ENOENT, "%s: image not known (see rctr images)", name);
}

int cmd_images_load(struct cmd_global *g, bool exclusive, struct storage_store **ret_store,
                    struct storage_images *imgs, struct rctr_error *err)
{
        int r = cmd_store_open(g, ret_store, NULL, err);

        if (r >= 0)
                r = storage_store_lock(*ret_store, exclusive, err);
        if (r >= 0)
                r = storage_images_load(*ret_store, imgs, err);
        return r;
}

int cmd_image_open(struct cmd_global *g, const char *name, bool exclusive,
                   struct storage_store **ret_store, struct storage_images *imgs,
                   struct storage_image **ret, struct rctr_error *err)
{
        int r = cmd_images_load(g, exclusive, ret_store, imgs, err);

        return r < 0 ? r : cmd_image_find(imgs, name, ret, err);
}

int cmd_dispatch_sub(struct cmd_global *g, const char *name, const char *summary,
                     const struct cmd_def *subs, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = name,
                               .usage = NULL,
                               .opts = (const struct cmd_opt[]){{0}},
                               .stop_at_operand = true,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        const char *value;
        int c;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP) {
                        printf("Usage: rctr %s SUBCOMMAND [ARG...]\n\n%s\n\nSubcommands:\n", name,
                               summary);
                        for (const struct cmd_def *d = subs; d->name; d++)
                                if (d->summary)
                                        printf("  %-10s %s\n", d->name, d->summary);
                        return 0;
                }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no subcommand given (see rctr %s --help)",
                                      name);
        for (const struct cmd_def *d = subs; d->name; d++)
                if (streq(argv[p.optind], d->name))
                        return d->fn(g, argc - p.optind, argv + p.optind, err);
        return rctr_error_set(err, EINVAL, "unknown subcommand \"%s\" (see rctr %s --help)",
                              argv[p.optind], name);
}

int cmd_confirm(const char *warning, const char *use_force, struct rctr_error *err)
{
        char answer[64] = "";

        if (!isatty(STDIN_FILENO))
                return rctr_error_set(err, EINVAL, "no terminal to ask for confirmation on: %s",
                                      use_force);
        fputs(warning, stderr);
        fputs("Are you sure you want to continue? [y/N] ", stderr);
        fflush(stderr);
        if (!fgets(answer, sizeof(answer), stdin))
                return 0;
        return answer[0] == 'y' || answer[0] == 'Y';
}
