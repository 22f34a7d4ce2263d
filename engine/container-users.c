/* Which containers use a volume or an image, read from their records (engine/container-users.h). */
#include <config.h>

#include "engine/container-users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/container-record.h"
#include "engine/container.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h"
#include "storage/volumes.h"

void engine_volume_users_reset(struct engine_volume_users *u)
{
        strv_free(u->names);
        u->names = NULL;
        u->loaded = false;
}

void engine_volume_users_clear(struct engine_volume_users *u)
{
        engine_volume_users_reset(u);
}

static bool strv_contains(char **v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

static void strv_add(char ***v, size_t *n, const char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(char *));
        (*v)[(*n)++] = xstrdup(s);
        (*v)[*n] = NULL;
}

static void load_users(struct engine_volume_users *u)
{
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        cleanup_error struct rctr_error err = {0};
        size_t n = 0;

        u->names = xzalloc(sizeof(char *));
        u->loaded = true;
        /*
         * Unreadable: nothing is known to be in use. Listing only fails when the containers
         * directory itself cannot be read, and then no container can be started either.
         */
        if (engine_container_list(u->ctrsfd, &l, &err) < 0) {
                log_warn("cannot tell which volumes containers use: %s", err.msg);
                return;
        }
        for (size_t i = 0; i < l.n; i++) {
                json_t *names = json_object_get(l.v[i].json, ENGINE_CONTAINER_VOLUMES);
                json_t *name;
                size_t j;

                json_array_foreach(names, j, name) {
                        const char *s = json_string_value(name);

                        if (s && !strv_contains(u->names, s))
                                strv_add(&u->names, &n, s);
                }
        }
}

bool engine_volume_users_in_use(void *ud, const char *name)
{
        struct engine_volume_users *u = ud;

        if (!u->loaded)
                load_users(u);
        return strv_contains(u->names, name);
}

const struct engine_container *
engine_container_list_using_image(const struct engine_container_list *l, const char *image_id)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].image_id && streq(l->v[i].image_id, image_id))
                        return &l->v[i];
        return NULL;
}

int engine_container_remove_anonymous_volumes(const struct engine_ctx *ctx,
                                              const struct engine_container *c,
                                              struct rctr_error *err)
{
        json_t *anon = json_object_get(c->json, ENGINE_CONTAINER_ANON_VOLUMES);
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(engine_volume_users_clear)
        struct engine_volume_users users = {.ctrsfd = ctx->ctrsfd};
        json_t *name;
        size_t i;
        int r;

        if (json_array_size(anon) == 0)
                return 0;
        r = storage_store_open(ctx->store_root, &store, err);
        if (r >= 0)
                r = storage_volumes_open(store, &vs, err);
        if (r >= 0)
                r = storage_volumes_lock(vs, true, err);
        if (r < 0)
                return r;
        json_array_foreach(anon, i, name) {
                const char *s = json_string_value(name);

                if (!s || !storage_volume_name_valid(s))
                        continue;
                r = storage_volume_remove(vs, s, false, engine_volume_users_in_use, &users, err);
                /* gone already (volume prune), or another container mounts it by its name now */
                if (r == -ENOENT || r == -EBUSY) {
                        log_debug("anonymous volume %s of %s: %s, leaving it", s, c->name,
                                  err->msg);
                        rctr_error_clear(err);
                        continue;
                }
                if (r < 0)
                        return rctr_error_prefix(err, "remove the anonymous volumes of %s",
                                                 c->name);
        }
        return 0;
}
