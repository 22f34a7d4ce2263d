/* What every command shares, in rctr and rctr-oci: start-up, global defaults, exit codes. */
#pragma once

#include <stdbool.h>

struct cmd_def;
struct cmd_global;
struct image_platform;
struct storage_image;
struct storage_images;
struct storage_store;
struct storage_unpack_opts;
struct rctr_error;

/* fds 0-2 open (never handed out as our own), JSON allocation through xmalloc. */
void cmd_startup(void);

/* An exec'd process gets fds 0-2 as it expects them: never hand out 0-2 as our own fds. */
void cmd_startup_std_fds(void);

/* Fill the defaults of g: rootless or not, the runtime dir, the store and state dirs. */
int cmd_global_defaults(struct cmd_global *g, struct rctr_error *err);

void cmd_global_clear(struct cmd_global *g);

/* The store's path (--root or the default), or NULL with err set when there is none. */
const char *cmd_global_store(const struct cmd_global *g, struct rctr_error *err);

/* 125 for our own failures; 126/127 when the command to run could not be executed. */
int cmd_exit_code(const struct rctr_error *err);

/*
 * Open the image store (entering the user namespace first, rootless), and say how layers are
 * unpacked here (ret_unpack may be NULL). Returns 0 or -errno with err set.
 */
int cmd_store_open(struct cmd_global *g, struct storage_store **ret,
                   struct storage_unpack_opts *ret_unpack, struct rctr_error *err);

/* A name as podman records it: fully qualified (localhost/ for a bare one), :latest added. */
int cmd_image_name(const char *text, char **ret, struct rctr_error *err);

/*
 * The image name refers to: a name, an id or id prefix, a name without :latest, or a short name
 * as a local or docker.io image. -ENOENT with err "NAME: image not known" when none.
 */
int cmd_image_find(const struct storage_images *imgs, const char *name, struct storage_image **ret,
                   struct rctr_error *err);

/* Which of img's names name means (as cmd_image_find() reads it); NULL: it means its id. */
const char *cmd_image_matching_name(const struct storage_image *img, const char *name);

/*
 * Open the store, lock it (exclusive: to change images.json; shared: to read it) and load its
 * images. Returns 0 or -errno with err set.
 */
int cmd_images_load(struct cmd_global *g, bool exclusive, struct storage_store **ret_store,
                    struct storage_images *imgs, struct rctr_error *err);

/*
 * Open the store locked (exclusive or shared), load its images and find the one name refers to:
 * a name, an id or id prefix, or a short name as a local or docker.io image. -ENOENT with err
 * "NAME: image not known" when none.
 */
int cmd_image_open(struct cmd_global *g, const char *name, bool exclusive,
                   struct storage_store **ret_store, struct storage_images *imgs,
                   struct storage_image **ret, struct rctr_error *err);

/*
 * `rctr NAME SUBCOMMAND ...`: --help lists subs (a NULL-name terminated table; an entry without
 * a summary is an unlisted alias), else the subcommand named runs. Returns its result, or
 * -EINVAL with err set for a missing or unknown one.
 */
int cmd_dispatch_sub(struct cmd_global *g, const char *name, const char *summary,
                     const struct cmd_def *subs, int argc, char **argv, struct rctr_error *err);

/* --platform "linux/arm64/v8" into p (owned copies). Returns 0 or -EINVAL with err set. */
int cmd_parse_platform(const char *text, struct image_platform *p, struct rctr_error *err);

/*
 * Ask on stderr, after warning (podman's words), "Are you sure you want to continue? [y/N]" and
 * read the answer from stdin. Returns 1 for yes, 0 for no (or EOF), -EINVAL with err set when
 * stdin is no terminal: then use_force says how to go on without asking.
 */
int cmd_confirm(const char *warning, const char *use_force, struct rctr_error *err);
