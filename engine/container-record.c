/* container.json: what create decided about a container, and the containers directory. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/container-record.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/xalloc.h"

/* container.json is small; a cap keeps a damaged one from taking memory. */
#define RECORD_MAX (4u * 1024 * 1024)

void engine_container_clear(struct engine_container *c)
{
        free(c->id);
        free(c->name);
        free(c->image_id);
        free(c->image_name);
        free(c->created);
        strv_free(c->command);
        free(c->driver);
        strv_free(c->layers);
        free(c->log_driver);
        json_decref(c->json);
        *c = (struct engine_container){0};
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

json_t *engine_container_to_json(struct engine_container *c)
{
        if (!c->json)
                c->json = json_object();
        json_object_set_new(c->json, "id", json_string(c->id));
        json_object_set_new(c->json, "name", json_string(c->name));
        json_object_set_new(c->json, "imageId", json_string(c->image_id));
        json_object_set_new(c->json, "imageName", json_string(c->image_name));
        json_object_set_new(c->json, "created", json_string(c->created));
        json_object_set_new(c->json, "command", strv_json(c->command));
        json_object_set_new(c->json, "driver", json_string(c->driver));
        json_object_set_new(c->json, "layers", strv_json(c->layers));
        json_object_set_new(c->json, "logDriver", json_string(c->log_driver));
        json_object_set_new(c->json, "rm", json_boolean(c->rm));
        json_object_set_new(c->json, "tty", json_boolean(c->tty));
        json_object_set_new(c->json, "interactive", json_boolean(c->interactive));
        json_object_set_new(c->json, "stopSignal", json_integer(c->stop_signal));
        json_object_set_new(c->json, "stopTimeout", json_integer(c->stop_timeout));
        return json_incref(c->json);
}

static int dup_string(json_t *obj, const char *key, char **ret, struct rctr_error *err)
{
        const char *s = NULL;
        int r = jsonutil_get_string(obj, key, true, &s, err);

        if (r < 0)
                return r;
        *ret = xstrdup(s);
        return 0;
}

int engine_container_parse(const char *text, size_t len, struct engine_container *ret,
                           struct rctr_error *err)
{
        struct engine_container c = {0};
        json_int_t sig = 15, timeout = 10;
        int r = jsonutil_parse(text, len, RECORD_MAX, &c.json, err);

        if (r >= 0 && !json_is_object(c.json))
                r = rctr_error_set(err, EBADMSG, "not an object");
        if (r >= 0)
                r = dup_string(c.json, "id", &c.id, err);
        if (r >= 0)
                r = dup_string(c.json, "name", &c.name, err);
        if (r >= 0)
                r = dup_string(c.json, "imageId", &c.image_id, err);
        if (r >= 0)
                r = dup_string(c.json, "imageName", &c.image_name, err);
        if (r >= 0)
                r = dup_string(c.json, "created", &c.created, err);
        if (r >= 0)
                r = dup_string(c.json, "driver", &c.driver, err);
        if (r >= 0)
                r = dup_string(c.json, "logDriver", &c.log_driver, err);
        if (r >= 0)
                r = jsonutil_get_strv(c.json, "command", false, &c.command, err);
        if (r >= 0)
                r = jsonutil_get_strv(c.json, "layers", false, &c.layers, err);
        if (r >= 0)
                r = jsonutil_get_bool(c.json, "rm", &c.rm, err);
        if (r >= 0)
                r = jsonutil_get_bool(c.json, "tty", &c.tty, err);
        if (r >= 0)
                r = jsonutil_get_bool(c.json, "interactive", &c.interactive, err);
        if (r >= 0)
                r = jsonutil_get_int(c.json, "stopSignal", false, 1, 64, &sig, err);
        if (r >= 0)
                r = jsonutil_get_int(c.json, "stopTimeout", false, 0, UINT32_MAX, &timeout, err);
        if (r < 0) {
                engine_container_clear(&c);
                return r;
        }
        c.stop_signal = (int)sig;
        c.stop_timeout = (unsigned)timeout;
        *ret = c;
        return 0;
}

int engine_containers_open(const char *store_root, struct rctr_error *err)
{
        cleanup_close int rootfd = open(store_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (rootfd < 0)
                return rctr_error_sys(err, errno, "open store %s", store_root);
        return fs_mkdir_open_at(rootfd, "containers", 0700, err);
}

int engine_lock_at(int dirfd, const char *name, bool exclusive, struct rctr_error *err)
{
        cleanup_close int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return rctr_error_sys(err, errno, "open lock %s", name);
        if (RETRY_EINTR(flock(fd, exclusive ? LOCK_EX : LOCK_SH)) < 0)
                return rctr_error_sys(err, errno, "lock %s", name);
        return TAKE_FD(fd);
}

void engine_containers_sweep(int ctrsfd)
{
        cleanup_close int fd = openat(ctrsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d)
                return;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                cleanup_error struct rctr_error ignored = {0};

                if (strncmp(de->d_name, ".new-", 5) == 0 || strncmp(de->d_name, ".rm-", 4) == 0)
                        (void)fs_remove_tree_at(ctrsfd, de->d_name, &ignored);
        }
}

int engine_container_load(int ctrsfd, const char *id, struct engine_container *ret,
                          struct rctr_error *err)
{
        cleanup_free char *path = xasprintf("%s/container.json", id);
        cleanup_buf struct buf text = {0};
        int r;

        buf_init(&text, RECORD_MAX);
        r = fs_read_at(ctrsfd, path, &text, err);
        if (r == -ENOENT || r == -ENOTDIR)
                return rctr_error_set(err, ENOENT, "no container with ID %s found", id);
        if (r >= 0)
                r = engine_container_parse(text.data, text.len, ret, err);
        return r < 0 ? rctr_error_prefix(err, "container %s", id) : 0;
}

int engine_container_write_file(int ctrsfd, const char *id, const char *name, const char *text,
                                bool durable, struct rctr_error *err)
{
        cleanup_close int fd = openat(ctrsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT)
                return rctr_error_set(err, ENOENT, "no container with ID %s found", id);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open container %s", id);
        return durable ? fs_write_atomic_at(fd, name, text, strlen(text), 0600, err)
                       : fs_replace_at(fd, name, text, strlen(text), 0600, err);
}

int engine_container_save(int ctrsfd, struct engine_container *c, struct rctr_error *err)
{
        json_auto_t *doc = engine_container_to_json(c);
        cleanup_free char *text = json_dumps(doc, JSON_INDENT(1));

        return engine_container_write_file(ctrsfd, c->id, "container.json", text, !c->rm, err);
}

void engine_container_list_clear(struct engine_container_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                engine_container_clear(&l->v[i]);
        free(l->v);
        *l = (struct engine_container_list){0};
}

static bool is_id(const char *s)
{
        size_t n = 0;

        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
                        return false;
        return n == ENGINE_CONTAINER_ID_LEN;
}

static int by_created(const void *a, const void *b)
{
        const struct engine_container *x = a, *y = b;

        return strcmp(x->created, y->created);
}

int engine_container_list(int ctrsfd, struct engine_container_list *ret, struct rctr_error *err)
{
        cleanup_close int fd = openat(ctrsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = NULL;
        struct engine_container_list l = {0};
        struct dirent *de;

        if (fd < 0)
                return rctr_error_sys(err, errno, "open containers");
        d = fdopendir(fd);
        if (!d)
                return rctr_error_sys(err, errno, "read containers");
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                cleanup_error struct rctr_error ignored = {0};
                struct engine_container c;

                /* ids only: lock files and directories being made (.new-) are not containers */
                if (!is_id(de->d_name) ||
                    engine_container_load(ctrsfd, de->d_name, &c, &ignored) < 0)
                        continue;
                l.v = xreallocarray(l.v, l.n + 1, sizeof(*l.v));
                l.v[l.n++] = c;
        }
        if (l.n)
                qsort(l.v, l.n, sizeof(*l.v), by_created);
        *ret = l;
        return 0;
}

int engine_container_find(const struct engine_container_list *l, const char *text,
                          const struct engine_container **ret, struct rctr_error *err)
{
        const struct engine_container *found = NULL;
        size_t len = strlen(text);
        bool ambiguous = false;

        for (size_t i = 0; i < l->n; i++)
                if (streq(l->v[i].name, text) || streq(l->v[i].id, text)) {
                        *ret = &l->v[i];
                        return 0;
                }
        for (size_t i = 0; len && i < l->n; i++)
                if (strncmp(l->v[i].id, text, len) == 0) {
                        ambiguous = found != NULL;
                        found = &l->v[i];
                }
        if (ambiguous)
                return rctr_error_set(err, EINVAL,
                                      "more than one container matches ID prefix \"%s\": give "
                                      "more characters",
                                      text);
        if (!found)
                return rctr_error_set(err, ENOENT, "no container with name or ID \"%s\" found",
                                      text);
        *ret = found;
        return 0;
}

void engine_container_new_id(char out[ENGINE_CONTAINER_ID_LEN + 1])
{
        unsigned char raw[ENGINE_CONTAINER_ID_LEN / 2];
        size_t got = 0;

        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

                if (n > 0)
                        got += (size_t)n;
                else if (errno != EINTR)
                        xalloc_die(); /* getrandom cannot fail for 32 bytes on Linux >= 3.17 */
        }
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

bool engine_container_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                             (ch >= '0' && ch <= '9');

                if (!alnum && (i == 0 || !strchr("_.-", ch)))
                        return false;
        }
        return true;
}
