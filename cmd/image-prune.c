/* Pruning images that no container uses (cmd/image-prune.h). */
#include <config.h>

#include "cmd/image-prune.h"

#include <errno.h>
#include <string.h>

#include "cmd/common.h"
#include "engine/container-record.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/images.h"
#include "storage/store.h"

static bool strv_has(char **v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

uint64_t cmd_layers_size(struct storage_store *store, char **layers, char **except)
{
        uint64_t total = 0;

        for (size_t i = 0; layers && layers[i]; i++) {
                bool seen = strv_has(except, layers[i]);

                for (size_t j = 0; j < i && !seen; j++)
                        seen = streq(layers[i], layers[j]);
                if (!seen)
                        total += storage_layer_size(store, layers[i]);
        }
        return total;
}

static void strv_add(char ***v, size_t *n, const char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(char *));
        (*v)[(*n)++] = xstrdup(s);
        (*v)[*n] = NULL;
}

/* Every container, read after the store is locked. */
static int list_users(struct cmd_global *g, struct engine_container_list *ret,
                      struct rctr_error *err)
{
        const char *root = cmd_global_store(g, err);
        cleanup_close int ctrsfd = -1;

        if (!root)
                return -EINVAL;
        ctrsfd = engine_containers_open(root, err);
        if (ctrsfd < 0)
                return ctrsfd;
        return engine_container_list(ctrsfd, ret, err);
}

int cmd_images_prune(struct cmd_global *g, bool all, char ***ret_removed, uint64_t *ret_bytes,
                     struct rctr_error *err)
{
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        CLEANUP(engine_container_list_clear) struct engine_container_list users = {0};
        cleanup_strv char **before = NULL, **keep = NULL, **removed = xzalloc(sizeof(char *));
        uint64_t bytes;
        size_t n = 0;
        int r = cmd_images_load(g, true, &store, &imgs, err);

        if (r >= 0)
                r = list_users(g, &users, err);
        if (r < 0)
                return r;
        before = storage_images_layers_in_use(&imgs);
        for (size_t i = imgs.n; i-- > 0;) {
                const struct storage_image *img = &imgs.v[i];

                if (!all && img->names && img->names[0])
                        continue;
                if (engine_container_list_using_image(&users, img->id))
                        continue;
                strv_add(&removed, &n, img->id);
                storage_images_remove(&imgs, i);
        }
        r = storage_images_save(store, &imgs, err);
        if (r < 0)
                return r;
        keep = storage_images_layers_in_use(&imgs);
        bytes = cmd_layers_size(store, before, keep);
        r = storage_layers_prune(store, keep, err);
        if (r < 0)
                return r;
        *ret_removed = TAKE_PTR(removed);
        if (ret_bytes)
                *ret_bytes = bytes;
        return 0;
}
