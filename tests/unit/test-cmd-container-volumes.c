/*
 * Volumes of run/create (cmd/container-volumes.c), who uses them (engine/container-users.c) and
 * --log-opt (cmd/run-opts.c), against a store in a temporary directory.
 */
#include <config.h>

/* cmd_run_opts_parse takes char **argv; literal test argv vectors are never written to. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/container-volumes.h"
#include "cmd/run-opts.h"
#include "engine/container-record.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/xalloc.h"
#include "storage/store.h"
#include "storage/volumes.h"
#include "tap.h"

/* run's options from argv (NULL-terminated); the error's errno, or 0. */
static int parse_run(char **argv, struct cmd_run_opts *o)
{
        struct cmd_global g = {0};
        cleanup_error struct rctr_error err = {0};
        int argc = 0, r;

        while (argv[argc])
                argc++;
        r = cmd_run_opts_parse(&g, argc, argv, false, o, &err);
        free(g.root);
        free(g.runroot);
        return r < 0 ? -r : 0;
}

static void test_log_opts(void)
{
        static const struct {
                const char *opt;
                int code;
                uint64_t size;
        } cases[] = {
                {"max-size=10k", 0, 10000},
                {"max-size=10KiB", 0, 10000},
                {"max-size=5mb", 0, 5000000},
                {"max-size=1g", 0, 1000000000},
                {"max-size=123", 0, 123},
                {"max-size=", EINVAL, 0},
                {"max-size=abc", EINVAL, 0},
                {"max-size=10x", EINVAL, 0},
                {"path=/tmp/log", ENOTSUP, 0},
                {"max-file=3", EINVAL, 0},
                {"max-size=99999999999p", ERANGE, 0},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                CLEANUP(cmd_run_opts_clear) struct cmd_run_opts o = {0};
                char *argv[] = {"run", "--log-opt", (char *)cases[i].opt, "img", NULL};
                int code = parse_run(argv, &o);
                int want = cases[i].code == ERANGE ? EINVAL : cases[i].code;

                ok(code == want && (code || o.log_size_max == cases[i].size),
                   "--log-opt %s: errno %d, size %llu", cases[i].opt, code,
                   (unsigned long long)o.log_size_max);
        }
}

/* Resolve argv's -v/--mount against the store s. */
static int resolve(struct storage_store *s, char **argv, struct cmd_run_opts *o,
                   struct cmd_container_volumes *v, struct rctr_error *err)
{
        int r = parse_run(argv, o);

        return r ? -r : cmd_container_volumes_resolve(s, o, v, err);
}

static void test_resolve(struct storage_store *s, const char *store)
{
        cleanup_free char *data = xasprintf("%s/volumes/named/_data", store);
        cleanup_free char *want_v = xasprintf("%s:/a:ro", data);
        cleanup_free char *want_m = xasprintf("type=bind,source=%s,destination=/m,ro", data);
        cleanup_free char *cwd = getcwd(NULL, 0);
        cleanup_free char *want_rel = xasprintf("%s/./rel:/r", cwd);
        char *anon = NULL;

        {
                CLEANUP(cmd_run_opts_clear) struct cmd_run_opts o = {0};
                CLEANUP(cmd_container_volumes_clear) struct cmd_container_volumes v = {0};
                cleanup_error struct rctr_error err = {0};
                char *argv[] = {"run",
                                "-v",
                                "named:/a:ro",
                                "-v",
                                "/anon",
                                "-v",
                                "/host:/h",
                                "-v",
                                "./rel:/r",
                                "--mount",
                                "type=volume,src=named,target=/m,ro",
                                "--mount",
                                "type=tmpfs,target=/t",
                                "img",
                                NULL};
                json_auto_t *rec = json_pack("{s:{}}", "hostConfig");
                json_t *names;
                int r = resolve(s, argv, &o, &v, &err);

                ok(r == 0, "resolve -v and --mount (%s)", err.msg ? err.msg : "");
                if (r < 0)
                        return;
                is_str(o.f.volumes[0], want_v, "a named volume becomes a bind of its data");
                ok(v.anonymous && v.anonymous[0] && strlen(v.anonymous[0]) == 64 && !v.anonymous[1],
                   "-v /anon makes one anonymous volume with a 64-hex name");
                anon = v.anonymous ? xstrdup(v.anonymous[0]) : xstrdup("");
                ok(strstr(o.f.volumes[1], anon) && strstr(o.f.volumes[1], "/_data:/anon"),
                   "the anonymous volume is bound on /anon (%s)", o.f.volumes[1]);
                is_str(o.f.volumes[2], "/host:/h", "a host path stays");
                is_str(o.f.volumes[3], want_rel, "a relative host path is made absolute");
                is_str(o.f.mounts[0], want_m, "--mount type=volume becomes type=bind");
                is_str(o.f.mounts[1], "type=tmpfs,target=/t", "--mount type=tmpfs stays");
                ok(storage_volume_exists(v.vs, "named"), "the named volume was made");
                cmd_container_volumes_record(&v, rec);
                names = json_object_get(rec, ENGINE_CONTAINER_VOLUMES);
                ok(json_array_size(names) == 2 &&
                           streq(json_string_value(json_array_get(names, 0)), "named"),
                   "the record names each volume once");
                ok(json_array_size(json_object_get(rec, ENGINE_CONTAINER_ANON_VOLUMES)) == 1,
                   "and the anonymous one as such");
                is_str(json_string_value(json_array_get(
                               json_object_get(json_object_get(rec, "hostConfig"), "Binds"), 0)),
                       "named:/a:ro", "Binds keep -v as given");
                cmd_container_volumes_commit(&v);
        }
        {
                CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
                cleanup_error struct rctr_error err = {0};

                ok(storage_volumes_open(s, &vs, &err) == 0 && storage_volume_exists(vs, anon),
                   "committed: the anonymous volume stays once the lock is dropped");
        }
        {
                CLEANUP(cmd_run_opts_clear) struct cmd_run_opts o = {0};
                CLEANUP(cmd_container_volumes_clear) struct cmd_container_volumes v = {0};
                cleanup_error struct rctr_error err = {0};
                char *argv[] = {"run", "-v", "/x", "-v", "bad@name:/y", "img", NULL};
                CLEANUP(storage_volume_list_clear) struct storage_volume_list before = {0};
                CLEANUP(storage_volume_list_clear) struct storage_volume_list after = {0};
                CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
                int r;

                (void)storage_volumes_open(s, &vs, &err);
                (void)storage_volume_list(vs, &before, &err);
                r = resolve(s, argv, &o, &v, &err);
                ok(r == -EINVAL && err.msg && strstr(err.msg, "invalid --volume bad@name:/y"),
                   "a bad volume name: %s", err.msg ? err.msg : "");
                (void)storage_volume_list(vs, &after, &err);
                ok(before.n == after.n, "a failed resolve leaves no anonymous volume behind");
        }
        {
                CLEANUP(cmd_run_opts_clear) struct cmd_run_opts o = {0};
                CLEANUP(cmd_container_volumes_clear) struct cmd_container_volumes v = {0};
                cleanup_error struct rctr_error err = {0};
                char *argv[] = {"run", "-v", "justname", "img", NULL};

                int r = resolve(s, argv, &o, &v, &err);

                ok(r == -EINVAL, "-v NAME without a destination: %s", err.msg ? err.msg : "");
        }
        {
                CLEANUP(cmd_run_opts_clear) struct cmd_run_opts o = {0};
                CLEANUP(cmd_container_volumes_clear) struct cmd_container_volumes v = {0};
                cleanup_error struct rctr_error err = {0};
                char *argv[] = {"run", "--mount", "type=volume,target=/t,volume-opt=a=b", "img",
                                NULL};

                int r = resolve(s, argv, &o, &v, &err);

                ok(r == -EOPNOTSUPP, "--mount volume-opt is refused: %s", err.msg ? err.msg : "");
        }
        free(anon);
}

/* A container record as container.json holds it, using volumes and image. */
static void write_container(int ctrsfd, const char *id, const char *image, const char *volume)
{
        struct engine_container c = {
                .id = xstrdup(id),
                .name = xasprintf("c-%.4s", id),
                .image_id = xstrdup(image),
                .image_name = xstrdup("localhost/x:latest"),
                .created = rfc3339_now(),
                .driver = xstrdup("vfs"),
                .log_driver = xstrdup("k8s-file"),
                .stop_signal = 15,
                .json = json_pack("{s:[s]}", ENGINE_CONTAINER_VOLUMES, volume),
        };
        cleanup_error struct rctr_error err = {0};
        int r;

        (void)mkdirat(ctrsfd, id, 0700);
        ok(engine_container_save(ctrsfd, &c, &err) == 0, "a container record %.8s", id);
        engine_container_clear(&c);
        r = engine_container_load(ctrsfd, id, &c, &err);
        ok(r == 0, "it loads again (%s)", err.msg ? err.msg : "");
        engine_container_clear(&c);
}

static void test_users(const char *store)
{
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        cleanup_error struct rctr_error err = {0};
        cleanup_close int ctrsfd = engine_containers_open(store, &err);
        struct engine_volume_users u = {.ctrsfd = ctrsfd};
        const char *id1 = "1111111111111111111111111111111111111111111111111111111111111111";
        const char *img = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

        ok(ctrsfd >= 0, "open the containers directory");
        ok(!engine_volume_users_in_use(&u, "data"), "no container: nothing in use");
        write_container(ctrsfd, id1, img, "data");
        ok(!engine_volume_users_in_use(&u, "data"), "the answer is kept until reset");
        engine_volume_users_reset(&u);
        ok(engine_volume_users_in_use(&u, "data"), "after reset: data is in use");
        ok(!engine_volume_users_in_use(&u, "other"), "other is not");
        engine_volume_users_clear(&u);
        ok(engine_container_list(ctrsfd, &l, &err) == 0 && l.n == 1, "one container listed");
        ok(engine_container_list_using_image(&l, img) == &l.v[0], "it uses the image");
        ok(!engine_container_list_using_image(&l, "sha256:33"), "and no other");
}

int main(void)
{
        char dir[] = "/tmp/test-cmd-volumes-XXXXXX";
        cleanup_error struct rctr_error err = {0};
        CLEANUP(storage_store_freep) struct storage_store *s = NULL;
        cleanup_free char *store = NULL;

        test_log_opts();
        if (!mkdtemp(dir))
                return 1;
        store = xasprintf("%s/store", dir);
        ok(storage_store_open(store, &s, &err) == 0, "a new store");
        if (s) {
                test_resolve(s, store);
                test_users(store);
        }
        (void)fs_remove_tree_at(AT_FDCWD, dir, &err);
        return tap_done();
}
