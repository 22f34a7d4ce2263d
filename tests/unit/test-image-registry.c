/*
 * The registry client against real servers on 127.0.0.1, started by test-image-registry.sh:
 * Debian's docker-registry (plain and htpasswd; RCTR_REGISTRY, RCTR_AUTH_REGISTRY with
 * RCTR_AUTH_USER/RCTR_AUTH_PASS, RCTR_BUSYBOX_OCI) and tests/fixtures/fake-registry.py
 * (FAKE_REGISTRY, FAKE_REGISTRY_B) for failures. The docker-registry tests are skipped when
 * it is not installed (the reason in RCTR_REGISTRY_SKIP); a server that did not start is a
 * failure (RCTR_REGISTRY_FAIL, FAKE_REGISTRY_FAIL).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "image/registry.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

#define ZERO_DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000000"

#define CLEAR(p)            \
        do {                \
                free(p);    \
                (p) = NULL; \
        } while (0)

static const char *fake, *fake_b;

static void skip(const char *what, const char *why)
{
        printf("ok %d - %s # SKIP %s\n", ++tap_n, what, why);
}

static struct image_registry *client(const char *host, bool insecure, const char *user,
                                     const char *pass)
{
        struct image_registry_opts o = {
                .host = host,
                .insecure = insecure,
                .username = user,
                .password = pass,
                .retry_delay_ms = 10,
                .low_speed_time = 1,
        };
        struct image_registry *r = NULL;
        struct rctr_error err = {0};

        if (image_registry_new(&o, &r, &err) < 0) {
                printf("Bail out! image_registry_new %s: %s\n", host, err.msg);
                exit(1);
        }
        return r;
}

/* GET http://HOST/PATH with plain curl: the fake server's counters. */
static char *fetch_text(const char *host, const char *path)
{
        cleanup_free char *url = xasprintf("http://%s%s", host, path);
        struct buf b;
        FILE *f;
        CURL *h = curl_easy_init();
        char *mem = NULL;
        size_t n = 0;

        f = open_memstream(&mem, &n);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
        curl_easy_perform(h);
        curl_easy_cleanup(h);
        fclose(f);
        buf_init(&b, 0);
        buf_append(&b, mem, n);
        free(mem);
        return buf_detach(&b);
}

static int fake_count(const char *host, const char *path)
{
        cleanup_free char *q = xasprintf("/__count?path=%s", path);
        cleanup_free char *t = fetch_text(host, q);

        return atoi(t);
}

static char *fake_get(const char *host, const char *what, const char *path)
{
        cleanup_free char *q = xasprintf("/__%s?path=%s", what, path);

        return fetch_text(host, q);
}

/* A blob sink: keeps the bytes and hashes them; can fail after a number of bytes. */
struct sink {
        struct buf data;
        struct digest_sha256 *sha;
        size_t fail_after; /* 0: never */
        pthread_t thread;
        struct image_registry *r;
        const char *repo, *digest;
        int ret;
};

static int sink_write(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct sink *s = ctx;

        if (s->fail_after && s->data.len + len > s->fail_after)
                return rctr_error_set(err, ENOSPC, "write layer: disk full (test)");
        buf_append(&s->data, data, len);
        digest_sha256_update(s->sha, data, len);
        return 0;
}

static void sink_init(struct sink *s)
{
        *s = (struct sink){0};
        buf_init(&s->data, 0);
        s->sha = digest_sha256_new();
}

static void sink_clear(struct sink *s)
{
        buf_free(&s->data);
        digest_sha256_free(s->sha);
        s->sha = NULL;
}

static bool sink_matches(struct sink *s, const char *digest)
{
        cleanup_free char *d = digest_sha256_string(s->sha);

        return streq(d, digest);
}

/* get_manifest; on failure *msg is the error (owned). */
static int manifest(struct image_registry *r, const char *repo, const char *ref, char **type,
                    char **digest, char **msg)
{
        cleanup_buf struct buf out = {0};
        struct rctr_error err = {0};
        int rr;

        buf_init(&out, IMAGE_MANIFEST_MAX);
        rr = image_registry_get_manifest(r, repo, ref, &out, type, digest, &err);
        free(*msg);
        *msg = err.msg;
        if (rr < 0)
                printf("# %s\n", err.msg);
        return rr;
}

static int blob(struct image_registry *r, const char *repo, const char *digest, uint64_t offset,
                struct sink *s, char **msg)
{
        struct rctr_error err = {0};
        int rr = image_registry_get_blob(r, repo, digest, offset, sink_write, s, &err);

        free(*msg);
        *msg = err.msg;
        if (rr < 0)
                printf("# %s\n", err.msg);
        return rr;
}

static bool contains(const char *s, const char *part)
{
        return s && strstr(s, part);
}

/* ---- the real docker-registry ---- */

struct fixture {
        char *manifest_digest, *config_digest, *layer_digest;
        struct buf manifest, layer;
};

static bool load_fixture(const char *oci, struct fixture *f)
{
        cleanup_free char *index = xasprintf("%s/index.json", oci);
        cleanup_free char *mpath = NULL, *lpath = NULL;
        cleanup_error struct rctr_error err = {0};
        json_t *j = json_load_file(index, 0, NULL), *m;

        if (!j)
                return false;
        f->manifest_digest = xstrdup(json_string_value(
                json_object_get(json_array_get(json_object_get(j, "manifests"), 0), "digest")));
        json_decref(j);
        mpath = xasprintf("%s/blobs/sha256/%s", oci, f->manifest_digest + 7);
        buf_init(&f->manifest, 0);
        if (fs_read_at(AT_FDCWD, mpath, &f->manifest, &err) < 0)
                return false;
        m = json_loadb(f->manifest.data, f->manifest.len, 0, NULL);
        f->config_digest =
                xstrdup(json_string_value(json_object_get(json_object_get(m, "config"), "digest")));
        f->layer_digest = xstrdup(json_string_value(
                json_object_get(json_array_get(json_object_get(m, "layers"), 0), "digest")));
        json_decref(m);
        lpath = xasprintf("%s/blobs/sha256/%s", oci, f->layer_digest + 7);
        buf_init(&f->layer, 0);
        return fs_read_at(AT_FDCWD, lpath, &f->layer, &err) == 0;
}

static void fixture_clear(struct fixture *f)
{
        free(f->manifest_digest);
        free(f->config_digest);
        free(f->layer_digest);
        buf_free(&f->manifest);
        buf_free(&f->layer);
}

static void test_plain(const char *host, struct fixture *f)
{
        cleanup_registry struct image_registry *r = client(host, true, NULL, NULL);
        cleanup_free char *type = NULL, *digest = NULL, *msg = NULL, *want = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_buf struct buf out = {0}, cfg = {0};
        struct sink s;

        ok(image_registry_ping(r, &err) == 0 && streq(image_registry_scheme(r), "http"),
           "docker-registry: insecure ping falls back to http");
        buf_init(&out, IMAGE_MANIFEST_MAX);
        ok(image_registry_get_manifest(r, "busybox", "latest", &out, &type, &digest, &err) == 0,
           "docker-registry: manifest busybox:latest");
        is_str(type, IMAGE_MT_OCI_MANIFEST, "its media type");
        is_str(digest, f->manifest_digest, "its digest is the pushed one");
        ok(out.len == f->manifest.len && memcmp(out.data, f->manifest.data, out.len) == 0,
           "its bytes are the pushed ones");
        CLEAR(digest);
        buf_free(&out);
        ok(image_registry_get_manifest(r, "busybox", f->manifest_digest, &out, NULL, &digest,
                                       &err) == 0 &&
                   streq(digest, f->manifest_digest),
           "docker-registry: manifest by digest, verified");

        ok(manifest(r, "busybox", "nope", NULL, NULL, &msg) == -ENOENT, "unknown tag: -ENOENT");
        want = xasprintf("pull %s/busybox:nope: manifest unknown (HTTP 404)", host);
        is_str(msg, want, "unknown tag: the registry's message");
        CLEAR(msg);
        CLEAR(want);
        ok(manifest(r, "nosuch", "latest", NULL, NULL, &msg) == -ENOENT,
           "unknown repository: -ENOENT");
        want = xasprintf("pull %s/nosuch:latest: ", host);
        ok(msg && strncmp(msg, want, strlen(want)) == 0 && contains(msg, "(HTTP 404)"),
           "unknown repository: the registry's message");
        CLEAR(msg);
        CLEAR(want);
        ok(manifest(r, "busybox", ZERO_DIGEST, NULL, NULL, &msg) == -ENOENT,
           "unknown manifest digest: -ENOENT");
        CLEAR(msg);

        sink_init(&s);
        ok(blob(r, "busybox", f->layer_digest, 0, &s, &msg) == 0 && s.data.len == f->layer.len &&
                   sink_matches(&s, f->layer_digest),
           "docker-registry: layer blob streamed, digest verified");
        sink_clear(&s);

        /* Resume: the caller has the first half and hashed it itself. */
        sink_init(&s);
        digest_sha256_update(s.sha, f->layer.data, f->layer.len / 2);
        ok(blob(r, "busybox", f->layer_digest, f->layer.len / 2, &s, &msg) == 0 &&
                   s.data.len == f->layer.len - f->layer.len / 2 &&
                   sink_matches(&s, f->layer_digest),
           "docker-registry: resume from the middle with Range");
        sink_clear(&s);
        sink_init(&s);
        ok(blob(r, "busybox", f->layer_digest, f->layer.len, &s, &msg) == 0 && s.data.len == 0,
           "docker-registry: resume at the end fetches nothing");
        sink_clear(&s);

        sink_init(&s);
        ok(blob(r, "busybox", ZERO_DIGEST, 0, &s, &msg) == -ENOENT, "unknown blob: -ENOENT");
        want = xasprintf("pull %s/busybox@" ZERO_DIGEST ": blob unknown to registry (HTTP 404)",
                         host);
        is_str(msg, want, "unknown blob: the registry's message");
        CLEAR(msg);
        sink_clear(&s);

        sink_init(&s);
        s.fail_after = 1000;
        ok(blob(r, "busybox", f->layer_digest, 0, &s, &msg) == -ENOSPC &&
                   contains(msg, "write layer: disk full (test)"),
           "a failing write callback aborts with its own error");
        CLEAR(msg);
        sink_clear(&s);

        buf_init(&cfg, 0);
        ok(image_registry_get_blob_mem(r, "busybox", f->config_digest, 1 << 20, &cfg, &err) == 0 &&
                   cfg.len > 0,
           "config blob into memory, digest verified");
        buf_free(&cfg);
        ok(image_registry_get_blob_mem(r, "busybox", f->config_digest, 10, &cfg, &err) == -EFBIG,
           "a blob over the memory cap: -EFBIG");
        rctr_error_clear(&err);

        ok(image_registry_get_manifest(r, "busybox", "bad tag!", &out, NULL, NULL, &err) ==
                           -EINVAL &&
                   contains(err.msg, "invalid tag"),
           "an invalid tag is refused before any request");
        rctr_error_clear(&err);
        ok(image_registry_get_blob(r, "../x", f->layer_digest, 0, sink_write, &s, &err) == -EINVAL,
           "a repository with .. is refused");
        rctr_error_clear(&err);
        ok(image_registry_get_blob(r, "busybox", "sha256:abc/../../x", 0, sink_write, &s, &err) ==
                   -EINVAL,
           "a malformed digest is refused");
}

static void test_plain_secure(const char *host)
{
        cleanup_registry struct image_registry *r = client(host, false, NULL, NULL);
        cleanup_buf struct buf out = {0};
        cleanup_error struct rctr_error err = {0};

        buf_init(&out, IMAGE_MANIFEST_MAX);
        ok(image_registry_get_manifest(r, "busybox", "latest", &out, NULL, NULL, &err) == -EPROTO,
           "without insecure a plain-HTTP registry is not used: -EPROTO");
        ok(contains(err.msg, "--tls-verify=false") && contains(err.msg, "GET https://"),
           "the message tries https and suggests --tls-verify=false");
        printf("# %s\n", err.msg);
}

static void test_auth(const char *host, const char *user, const char *pass, struct fixture *f)
{
        cleanup_free char *msg = NULL, *want = NULL, *digest = NULL;
        cleanup_error struct rctr_error err = {0};
        struct sink s;

        {
                cleanup_registry struct image_registry *r = client(host, true, user, pass);

                ok(manifest(r, "busybox", "latest", NULL, &digest, &msg) == 0 &&
                           streq(digest, f->manifest_digest),
                   "basic auth: manifest with the right credentials");
                sink_init(&s);
                ok(blob(r, "busybox", f->layer_digest, 0, &s, &msg) == 0 &&
                           sink_matches(&s, f->layer_digest),
                   "basic auth: layer with the right credentials");
                sink_clear(&s);
                ok(image_registry_check_credentials(r, &err) == 0, "basic auth: login check");
        }
        {
                cleanup_registry struct image_registry *r = client(host, true, user, "wrong");

                ok(manifest(r, "busybox", "latest", NULL, NULL, &msg) == -EACCES,
                   "basic auth: wrong password: -EACCES");
                want = xasprintf("pull %s/busybox: authentication failed (HTTP 401): check the "
                                 "username and password (rctr login %s)",
                                 host, host);
                is_str(msg, want, "basic auth: wrong password: one clear line");
                CLEAR(msg);
                CLEAR(want);
                ok(image_registry_check_credentials(r, &err) == -EACCES,
                   "basic auth: login check refuses the wrong password");
                want = xasprintf("log in to %s: authentication failed (HTTP 401): check the "
                                 "username and password",
                                 host);
                is_str(err.msg, want, "basic auth: login check message");
                rctr_error_clear(&err);
                CLEAR(want);
        }
        {
                cleanup_registry struct image_registry *r = client(host, true, NULL, NULL);

                ok(manifest(r, "busybox", "latest", NULL, NULL, &msg) == -EACCES,
                   "basic auth: anonymous: -EACCES");
                want = xasprintf("pull %s/busybox: authentication required (HTTP 401): log in "
                                 "first (rctr login %s)",
                                 host, host);
                is_str(msg, want, "basic auth: anonymous: says to log in");
                CLEAR(want);
        }
}

static void *parallel_one(void *arg)
{
        struct sink *s = arg;
        struct rctr_error err = {0};

        s->ret = image_registry_get_blob(s->r, s->repo, s->digest, 0, sink_write, s, &err);
        if (s->ret < 0)
                printf("# thread: %s\n", err.msg);
        rctr_error_clear(&err);
        return NULL;
}

/* One client, several threads at once (parallel layer downloads). */
static void test_parallel(struct image_registry *r, const char *repo, const char *digest,
                          const char *what)
{
        struct sink s[8];
        bool all = true;

        for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
                sink_init(&s[i]);
                s[i].r = r;
                s[i].repo = repo;
                s[i].digest = digest;
                pthread_create(&s[i].thread, NULL, parallel_one, &s[i]);
        }
        for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
                pthread_join(s[i].thread, NULL);
                all = all && s[i].ret == 0 && sink_matches(&s[i], digest);
                sink_clear(&s[i]);
        }
        ok(all, "%s: 8 threads share one client, all blobs verified", what);
}

/* ---- the fake registry ---- */

static void test_fake_retries(void)
{
        cleanup_registry struct image_registry *r = client(fake, true, NULL, NULL);
        cleanup_free char *msg = NULL, *type = NULL, *want = NULL, *digest = NULL;
        struct sink s;

        ok(manifest(r, "flaky", "latest", &type, NULL, &msg) == 0 &&
                   fake_count(fake, "/v2/flaky/manifests/latest") == 2,
           "HTTP 500 then 200: retried once, succeeds");
        ok(manifest(r, "e429", "latest", NULL, NULL, &msg) == 0 &&
                   fake_count(fake, "/v2/e429/manifests/latest") == 2,
           "HTTP 429 then 200: retried");
        ok(manifest(r, "always500", "latest", NULL, NULL, &msg) == -EPROTO &&
                   fake_count(fake, "/v2/always500/manifests/latest") == 4,
           "HTTP 500 forever: 1 + 3 retries, then -EPROTO");
        want = xasprintf("pull %s/always500:latest: internal boom (HTTP 500)", fake);
        is_str(msg, want, "HTTP 500: the registry's message");
        CLEAR(msg);
        CLEAR(want);
        ok(manifest(r, "e400", "latest", NULL, NULL, &msg) == -EPROTO &&
                   fake_count(fake, "/v2/e400/manifests/latest") == 1,
           "HTTP 400: never retried");
        CLEAR(msg);
        ok(manifest(r, "e404", "latest", NULL, NULL, &msg) == -ENOENT &&
                   fake_count(fake, "/v2/e404/manifests/latest") == 1,
           "HTTP 404: -ENOENT, not retried");
        want = xasprintf("pull %s/e404:latest: manifest unknown (HTTP 404)", fake);
        is_str(msg, want, "HTTP 404: manifest unknown");
        CLEAR(msg);
        CLEAR(want);
        ok(manifest(r, "e404plain", "latest", NULL, NULL, &msg) == -ENOENT, "HTTP 404 plain text");
        want = xasprintf("pull %s/e404plain:latest: manifest unknown (HTTP 404)", fake);
        is_str(msg, want, "HTTP 404 without JSON: manifest unknown");
        CLEAR(msg);
        CLEAR(want);
        ok(manifest(r, "e403", "latest", NULL, NULL, &msg) == -EACCES, "HTTP 403: -EACCES");
        CLEAR(msg);

        ok(manifest(r, "truncated", "latest", NULL, &digest, &msg) == 0 &&
                   fake_count(fake, "/v2/truncated/manifests/latest") == 2,
           "a truncated manifest is fetched again");
        CLEAR(digest);

        sink_init(&s);
        ok(blob(r, "truncated",
                "sha256:"
                "a",
                0, &s, &msg) == -EINVAL,
           "digest is checked");
        CLEAR(msg);
        sink_clear(&s);
}

static void test_fake_blobs(const char *blob_digest)
{
        cleanup_registry struct image_registry *r = client(fake, true, NULL, NULL);
        cleanup_free char *msg = NULL, *path = NULL, *range = NULL;
        struct sink s;

        sink_init(&s);
        path = xasprintf("/v2/truncated/blobs/%s", blob_digest);
        ok(blob(r, "truncated", blob_digest, 0, &s, &msg) == 0 && sink_matches(&s, blob_digest) &&
                   fake_count(fake, path) == 2,
           "a blob cut in the middle is resumed");
        range = fake_get(fake, "range", path);
        is_str(range, "bytes=150000-", "with Range from where it stopped");
        sink_clear(&s);
        CLEAR(path);

        sink_init(&s);
        path = xasprintf("/v2/norange/blobs/%s", blob_digest);
        ok(blob(r, "norange", blob_digest, 0, &s, &msg) == 0 && sink_matches(&s, blob_digest) &&
                   s.data.len == 300000 && fake_count(fake, path) == 2,
           "Range ignored (200): the bytes already written are skipped, none twice");
        sink_clear(&s);
        CLEAR(path);

        sink_init(&s);
        ok(blob(r, "badrange", blob_digest, 0, &s, &msg) == -EPROTO &&
                   contains(msg, "Content-Range"),
           "a 206 from the wrong offset is refused");
        CLEAR(msg);
        sink_clear(&s);

        sink_init(&s);
        ok(blob(r, "e404", blob_digest, 0, &s, &msg) == -ENOENT &&
                   contains(msg, "blob unknown to registry (HTTP 404)"),
           "blob 404: the registry's message");
        CLEAR(msg);
        sink_clear(&s);

        {
                struct timespec a, b;

                sink_init(&s);
                clock_gettime(CLOCK_MONOTONIC, &a);
                ok(blob(r, "stall", blob_digest, 0, &s, &msg) == -ETIMEDOUT,
                   "a stalled transfer times out (low-speed limit), after retries");
                clock_gettime(CLOCK_MONOTONIC, &b);
                ok(b.tv_sec - a.tv_sec < 20, "... in %ld s", (long)(b.tv_sec - a.tv_sec));
                CLEAR(msg);
                sink_clear(&s);
        }
}

static void test_fake_types(void)
{
        cleanup_registry struct image_registry *r = client(fake, true, NULL, NULL);
        cleanup_free char *msg = NULL, *type = NULL, *want = NULL;

        ok(manifest(r, "htmltype", "latest", &type, NULL, &msg) == -EPROTO,
           "Content-Type text/html: -EPROTO");
        want = xasprintf("pull %s/htmltype:latest: unsupported manifest type \"text/html\"", fake);
        is_str(msg, want, "wrong Content-Type named");
        CLEAR(msg);
        CLEAR(want);
        ok(manifest(r, "jsontype", "latest", &type, NULL, &msg) == 0 &&
                   streq(type, IMAGE_MT_OCI_MANIFEST),
           "application/json: the mediaType field decides");
        CLEAR(type);
        ok(manifest(r, "notype", "latest", &type, NULL, &msg) == 0 &&
                   streq(type, IMAGE_MT_DOCKER_V2S2),
           "text/plain without mediaType: recognised as docker schema 2 by its config");
        CLEAR(type);
        ok(manifest(r, "schema1", "latest", &type, NULL, &msg) == -EOPNOTSUPP &&
                   contains(msg, "schema 1 manifests are not supported"),
           "schema 1 by Content-Type: -EOPNOTSUPP");
        CLEAR(msg);
        ok(manifest(r, "schema1json", "latest", &type, NULL, &msg) == -EOPNOTSUPP,
           "schema 1 by schemaVersion: -EOPNOTSUPP");
        CLEAR(msg);
        ok(manifest(r, "wrongdigest", ZERO_DIGEST, &type, NULL, &msg) == -EBADMSG,
           "manifest by digest with other bytes: -EBADMSG");
        want = xasprintf("pull %s/wrongdigest@%s: manifest of %s: digest mismatch", fake,
                         ZERO_DIGEST, ZERO_DIGEST);
        ok(msg && strncmp(msg, want, strlen(want)) == 0, "digest mismatch message");
        CLEAR(msg);
        ok(manifest(r, "huge", "latest", &type, NULL, &msg) == -EFBIG &&
                   contains(msg, "larger than the limit"),
           "a 5 MiB manifest (Content-Length) is refused: -EFBIG");
        CLEAR(msg);
        ok(manifest(r, "hugenolen", "latest", &type, NULL, &msg) == -EFBIG,
           "a 5 MiB manifest without Content-Length is cut at the cap: -EFBIG");
        CLEAR(msg);
}

static void test_fake_auth(const char *blob_digest)
{
        cleanup_free char *msg = NULL, *want = NULL, *path = NULL, *seen = NULL;
        struct sink s;

        {
                cleanup_registry struct image_registry *r = client(fake, true, "user", "pass");
                int before = fake_count(fake, "/token");

                ok(manifest(r, "bearer", "latest", NULL, NULL, &msg) == 0,
                   "bearer: 401, token, retry");
                ok(manifest(r, "bearer", "latest", NULL, NULL, &msg) == 0 &&
                           fake_count(fake, "/token") == before + 1,
                   "bearer: the token is cached for the scope");
                free(fetch_text(fake, "/__revoke"));
                ok(manifest(r, "bearer", "latest", NULL, NULL, &msg) == 0 &&
                           fake_count(fake, "/token") == before + 2,
                   "bearer: a revoked token is replaced");
                test_parallel(r, "bearer", blob_digest, "bearer");

                sink_init(&s);
                path = xasprintf("/external/%s", blob_digest);
                ok(blob(r, "redirect", blob_digest, 0, &s, &msg) == 0 &&
                           sink_matches(&s, blob_digest) && fake_count(fake, path) == 1,
                   "blob redirected to another host is followed");
                seen = fake_get(fake, "auth", path);
                is_str(seen, "no", "Authorization is not sent to the other host");
                sink_clear(&s);
                CLEAR(path);
                CLEAR(seen);
                sink_init(&s);
                path = xasprintf("/internal/%s", blob_digest);
                ok(blob(r, "redirectsame", blob_digest, 0, &s, &msg) == 0 &&
                           sink_matches(&s, blob_digest),
                   "a redirect on the registry's own origin keeps Authorization");
                seen = fake_get(fake, "auth", path);
                is_str(seen, "yes", "... it was sent");
                sink_clear(&s);
                CLEAR(path);
                CLEAR(seen);
        }
        {
                cleanup_registry struct image_registry *r = client(fake, true, "user", "wrong");

                ok(manifest(r, "bearer", "latest", NULL, NULL, &msg) == -EACCES,
                   "bearer: wrong password: -EACCES");
                want = xasprintf("pull %s/bearer: authentication failed (HTTP 401): check the "
                                 "username and password (rctr login %s)",
                                 fake, fake);
                is_str(msg, want, "bearer: wrong password: one clear line");
                CLEAR(msg);
                CLEAR(want);
        }
        {
                cleanup_registry struct image_registry *r = client(fake, true, NULL, NULL);

                ok(manifest(r, "bearer", "latest", NULL, NULL, &msg) == 0,
                   "bearer: an anonymous token for a public repository");
                ok(manifest(r, "private", "latest", NULL, NULL, &msg) == -EACCES,
                   "bearer: anonymous token refused for a private repository: -EACCES");
                ok(contains(msg, "does not exist or needs credentials"),
                   "... says so and suggests rctr login");
                CLEAR(msg);
                ok(manifest(r, "basic", "latest", NULL, NULL, &msg) == -EACCES &&
                           contains(msg, "authentication required"),
                   "basic, anonymous: authentication required");
                CLEAR(msg);
                ok(manifest(r, "badrealm", "latest", NULL, NULL, &msg) == -EPROTO &&
                           contains(msg, "is not an https URL"),
                   "a token realm that is not http(s) is refused");
                CLEAR(msg);
        }
        {
                cleanup_registry struct image_registry *r = client(fake, true, "user", "pass");

                ok(manifest(r, "basic", "latest", NULL, NULL, &msg) == 0,
                   "basic learnt from a 401 after a ping without authentication");
        }
}

static void test_fake_b(void)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *msg = NULL, *want = NULL;

        {
                cleanup_registry struct image_registry *r = client(fake_b, true, "user", "pass");

                ok(image_registry_check_credentials(r, &err) == 0,
                   "bearer ping: login check gets a token");
                ok(manifest(r, "any", "latest", NULL, NULL, &msg) == 0,
                   "bearer ping: token fetched before the first request");
        }
        {
                cleanup_registry struct image_registry *r = client(fake_b, true, "user", "nope");

                ok(image_registry_check_credentials(r, &err) == -EACCES,
                   "bearer ping: login check refuses a wrong password");
                want = xasprintf("log in to %s: authentication failed (HTTP 401): check the "
                                 "username and password",
                                 fake_b);
                is_str(err.msg, want, "... message");
                rctr_error_clear(&err);
        }
        {
                cleanup_registry struct image_registry *r = client(fake_b, true, NULL, NULL);

                ok(image_registry_check_credentials(r, &err) == -EINVAL,
                   "login check without a username: -EINVAL");
                rctr_error_clear(&err);
                ok(manifest(r, "any", "latest", NULL, NULL, &msg) == -EACCES &&
                           contains(msg, "authentication required"),
                   "bearer ping, anonymous refused by the token server");
                CLEAR(msg);
        }
}

static int closed_port(void)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t n = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        bind(fd, (struct sockaddr *)&a, sizeof(a));
        getsockname(fd, (struct sockaddr *)&a, &n);
        close(fd); /* nobody listens there now */
        return ntohs(a.sin_port);
}

static void test_refused(void)
{
        cleanup_free char *host = xasprintf("127.0.0.1:%d", closed_port());
        cleanup_registry struct image_registry *r = client(host, true, NULL, NULL);
        cleanup_error struct rctr_error err = {0};

        ok(image_registry_ping(r, &err) == -ECONNREFUSED, "connection refused: -ECONNREFUSED");
        ok(contains(err.msg, "GET https://") && contains(err.msg, "GET http://"),
           "... after trying https and http");
        printf("# %s\n", err.msg);
}

static void test_new(void)
{
        struct image_registry_opts o = {.host = "bad host"};
        struct image_registry *r = NULL;
        cleanup_error struct rctr_error err = {0};

        ok(image_registry_new(&o, &r, &err) == -EINVAL && !r, "an invalid host is refused");
}

int main(void)
{
        const char *plain = getenv("RCTR_REGISTRY"), *auth = getenv("RCTR_AUTH_REGISTRY");
        const char *oci = getenv("RCTR_BUSYBOX_OCI"), *why = getenv("RCTR_REGISTRY_SKIP");
        cleanup_free char *blob_digest = NULL;
        struct fixture f = {0};

        buf_init(&f.manifest, 0);
        buf_init(&f.layer, 0);

        fake = getenv("FAKE_REGISTRY");
        fake_b = getenv("FAKE_REGISTRY_B");
        {
                /* fake-registry.py's blob */
                unsigned char *b = xmalloc(300000);

                for (size_t i = 0; i < 300000; i++)
                        b[i] = (unsigned char)((i * 7 + 3) % 251);
                blob_digest = digest_sha256_of(b, 300000);
                free(b);
        }
        test_new();
        if (plain && auth && oci && load_fixture(oci, &f)) {
                cleanup_registry struct image_registry *r = NULL;

                test_plain(plain, &f);
                test_plain_secure(plain);
                test_auth(auth, getenv("RCTR_AUTH_USER"), getenv("RCTR_AUTH_PASS"), &f);
                r = client(auth, true, getenv("RCTR_AUTH_USER"), getenv("RCTR_AUTH_PASS"));
                test_parallel(r, "busybox", f.layer_digest, "docker-registry");
        } else if (getenv("RCTR_REGISTRY_FAIL")) {
                ok(false, "%s", getenv("RCTR_REGISTRY_FAIL"));
        } else {
                skip("docker-registry tests", why ? why : "no registry started");
        }
        fixture_clear(&f);
        if (fake && fake_b) {
                test_fake_retries();
                test_fake_blobs(blob_digest);
                test_fake_types();
                test_fake_auth(blob_digest);
                test_fake_b();
        } else {
                ok(false, "%s",
                   getenv("FAKE_REGISTRY_FAIL") ? getenv("FAKE_REGISTRY_FAIL")
                                                : "FAKE_REGISTRY is not set");
        }
        test_refused();
        return tap_done();
}
