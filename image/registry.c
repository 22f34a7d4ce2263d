/*
 * The registry client's public side: construction, the ping that picks the scheme, manifests
 * and blobs. HTTP mechanics are in registry-http.c, authentication in registry-token.c.
 */
#include <config.h>
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <strings.h>

#include <jansson.h>

#include "image/reference.h"
#include "image/registry-private.h"
#include "lib/base64.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h" /* storage_digest_valid */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

/* main() may have done it already: curl counts the calls, and we never clean up. */
static void global_init(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp)
{
        struct image_registry *r = userp;

        pthread_mutex_lock(&r->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
        struct image_registry *r = userp;

        pthread_mutex_unlock(&r->share_locks[data]);
}

static void setup_share(struct image_registry *r)
{
        for (size_t i = 0; i < ARRAY_SIZE(r->share_locks); i++)
                pthread_mutex_init(&r->share_locks[i], NULL);
        r->share = curl_share_init();
        if (!r->share)
                xalloc_die();
        /*
         * DNS answers and TLS sessions are shared between the handles of parallel downloads;
         * connections are not (curl does not support sharing them between threads), each
         * pooled handle keeps its own.
         */
        curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

int image_registry_new(const struct image_registry_opts *o, struct image_registry **ret,
                       struct rctr_error *err)
{
        struct image_registry *r;

        if (!o->host || !image_ref_registry_valid(o->host))
                return rctr_error_set(err, EINVAL, "invalid registry \"%s\"",
                                      o->host ? o->host : "");
        pthread_once(&global_once, global_init);
        r = xzalloc(sizeof(*r));
        r->host = xstrdup(o->host);
        /* docker.io is the name; the API lives elsewhere (docker's and podman's rule). */
        r->api_host = xstrdup(streq(o->host, "docker.io") || streq(o->host, "index.docker.io")
                                      ? "registry-1.docker.io"
                                      : o->host);
        r->insecure = o->insecure;
        if (o->username) {
                cleanup_free char *plain =
                        xasprintf("%s:%s", o->username, o->password ? o->password : "");
                cleanup_free char *b64 = base64_encode(plain, strlen(plain));

                r->username = xstrdup(o->username);
                r->password = xstrdup(o->password ? o->password : "");
                r->basic = xasprintf("Basic %s", b64);
                explicit_bzero(plain, strlen(plain));
                explicit_bzero(b64, strlen(b64));
        }
        r->user_agent = xstrdup(o->user_agent ? o->user_agent : "rctr/" PACKAGE_VERSION);
        r->retry_delay_ms = o->retry_delay_ms ? o->retry_delay_ms : 200;
        r->connect_timeout = o->connect_timeout ? (long)o->connect_timeout : 30;
        r->low_speed_time = o->low_speed_time ? (long)o->low_speed_time : 60;
        pthread_mutex_init(&r->lock, NULL);
        pthread_mutex_init(&r->ping_lock, NULL);
        setup_share(r);
        *ret = r;
        return 0;
}

static void free_secret(char *s)
{
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

void image_registry_free(struct image_registry *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_pool; i++)
                curl_easy_cleanup(r->pool[i]);
        curl_share_cleanup(r->share); /* after the handles that used it */
        for (size_t i = 0; i < ARRAY_SIZE(r->share_locks); i++)
                pthread_mutex_destroy(&r->share_locks[i]);
        pthread_mutex_destroy(&r->lock);
        pthread_mutex_destroy(&r->ping_lock);
        reg_tokens_free(r);
        image_challenge_clear(&r->auth);
        free(r->host);
        free(r->api_host);
        free(r->username);
        free_secret(r->password);
        free_secret(r->basic);
        free(r->user_agent);
        free(r);
}

const char *image_registry_scheme(struct image_registry *r)
{
        const char *s;

        pthread_mutex_lock(&r->lock);
        s = r->scheme;
        pthread_mutex_unlock(&r->lock);
        return s;
}

/* ---- ping ---- */

/* What GET /v2/ answered: 200 (no authentication) or 401 (its challenge). */
static int ping_result(struct image_registry *r, struct reg_request *q, const char *scheme,
                       const char *url, struct rctr_error *err)
{
        struct image_challenge c = {0};

        if (q->status == 401) {
                cleanup_error struct rctr_error e = {0};

                /* A challenge we cannot read is learnt again from the request that meets it. */
                if (image_challenge_parse(q->www_auth.data, q->www_auth.len, &c, &e) < 0)
                        log_debug("%s: %s, ignoring", url, e.msg);
        } else if (q->status != 200) {
                cleanup_free char *cause = reg_http_cause(q, "not a registry");

                return rctr_error_set(err, EPROTO,
                                      "GET %s: %s: %s does not serve the registry API v2", url,
                                      cause, r->host);
        }
        pthread_mutex_lock(&r->lock);
        r->scheme = scheme;
        image_challenge_clear(&r->auth);
        r->auth = c;
        pthread_mutex_unlock(&r->lock);
        log_debug("registry %s: %s, authentication: %s", r->host, scheme,
                  c.scheme == IMAGE_CHALLENGE_BEARER  ? "bearer"
                  : c.scheme == IMAGE_CHALLENGE_BASIC ? "basic"
                                                      : "none");
        return 0;
}

/*
 * podman's order: https; for an insecure registry https without verification first (tried
 * once, without retries), then plain http.
 */
static int ping_locked(struct image_registry *r, struct rctr_error *err)
{
        static const char *const schemes[] = {"https", "http"};
        size_t n = r->insecure ? 2 : 1;
        cleanup_error struct rctr_error first = {0};

        for (size_t i = 0; i < n; i++) {
                cleanup_free char *url = xasprintf("%s://%s/v2/", schemes[i], r->api_host);
                cleanup_error struct rctr_error e = {0};
                struct reg_request q;
                bool last = i + 1 == n;
                long status;
                int rr;

                reg_request_init(&q, url, NULL);
                rr = reg_exchange_retry(r, &q, !r->insecure, last, url, &e);
                if (rr == 0)
                        rr = ping_result(r, &q, schemes[i], url, &e);
                status = q.status;
                reg_request_clear(&q);
                if (rr == 0)
                        return 0;
                if (status != 0 || last) {
                        /* An HTTP answer that is not a registry's: falling back won't help. */
                        if (first.msg)
                                return rctr_error_set(err, e.code, "%s; %s", first.msg, e.msg);
                        return rctr_error_set(err, e.code, "%s", e.msg);
                }
                log_debug("registry %s: %s, trying http", r->host, e.msg);
                first = e;
                e = (struct rctr_error){0};
        }
        return 0; /* not reached: the last scheme returns */
}

static int ensure_ping(struct image_registry *r, struct rctr_error *err)
{
        int rr = 0;

        if (image_registry_scheme(r))
                return 0;
        pthread_mutex_lock(&r->ping_lock);
        if (!image_registry_scheme(r))
                rr = ping_locked(r, err);
        pthread_mutex_unlock(&r->ping_lock);
        return rr;
}

int image_registry_ping(struct image_registry *r, struct rctr_error *err)
{
        int rr = ensure_ping(r, err);

        if (rr < 0)
                return rctr_error_prefix(err, "registry %s", r->host);
        return 0;
}

int image_registry_check_credentials(struct image_registry *r, struct rctr_error *err)
{
        cleanup_challenge struct image_challenge c = {0};
        cleanup_free char *ctx = xasprintf("log in to %s", r->host);
        int rr;

        if (!r->basic)
                return rctr_error_set(err, EINVAL, "%s: no username given", ctx);
        rr = ensure_ping(r, err);
        if (rr < 0)
                return rctr_error_prefix(err, "%s", ctx);
        pthread_mutex_lock(&r->lock);
        c.scheme = r->auth.scheme;
        c.realm = r->auth.realm ? xstrdup(r->auth.realm) : NULL;
        c.service = r->auth.service ? xstrdup(r->auth.service) : NULL;
        pthread_mutex_unlock(&r->lock);
        if (c.scheme == IMAGE_CHALLENGE_BEARER) {
                cleanup_free char *tok = NULL;

                rr = reg_fetch_token(r, &c, NULL, ctx, &tok, err);
                if (tok)
                        explicit_bzero(tok, strlen(tok));
                return rr;
        }
        if (c.scheme == IMAGE_CHALLENGE_BASIC) {
                cleanup_free char *url =
                        xasprintf("%s://%s/v2/", image_registry_scheme(r), r->api_host);
                struct reg_request q;

                reg_request_init(&q, url, NULL);
                q.authorization = r->basic;
                rr = reg_exchange_retry(r, &q, !r->insecure, true, url, err);
                if (rr < 0)
                        rr = rctr_error_prefix(err, "%s", ctx);
                else if (q.status == 401 || q.status == 403)
                        rr = rctr_error_set(err, EACCES,
                                            "%s: authentication failed (HTTP %ld): check the "
                                            "username and password",
                                            ctx, q.status);
                else if (q.status != 200)
                        rr = rctr_error_set(err, EPROTO, "%s: GET %s: HTTP %ld", ctx, url,
                                            q.status);
                reg_request_clear(&q);
                return rr;
        }
        log_debug("registry %s needs no authentication", r->host);
        return 0;
}

/* ---- names ---- */

/* What reference.c accepts for a repository path: refuse anything that would bend the URL. */
static bool repo_valid(const char *repo)
{
        size_t n = strlen(repo);

        if (n == 0 || n > IMAGE_REF_NAME_MAX || repo[0] == '/' || repo[n - 1] == '/' ||
            strstr(repo, "//") || strstr(repo, ".."))
                return false;
        return strspn(repo, "abcdefghijklmnopqrstuvwxyz0123456789._-/") == n;
}

static bool tag_valid(const char *tag)
{
        size_t n = strlen(tag);

        if (n == 0 || n > IMAGE_REF_TAG_MAX || tag[0] == '.' || tag[0] == '-')
                return false;
        return strspn(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
               n;
}

static int check_names(struct image_registry *r, const char *repo, const char *reference,
                       bool digest_only, struct rctr_error *err)
{
        if (!repo_valid(repo))
                return rctr_error_set(err, EINVAL, "pull %s/%s: invalid repository name", r->host,
                                      repo);
        if (storage_digest_valid(reference) || (!digest_only && tag_valid(reference)))
                return 0;
        return rctr_error_set(err, EINVAL, "pull %s/%s: invalid %s \"%s\"%s", r->host, repo,
                              digest_only ? "digest" : "tag", reference,
                              digest_only ? " (expected sha256:<64 hex digits>)" : "");
}

/* Status of a finished request that is not 2xx: the error line. */
static int status_error(const struct reg_request *q, const char *what, const char *unknown,
                        struct rctr_error *err)
{
        cleanup_free char *cause = NULL;

        if (q->status == 404) {
                cause = reg_http_cause(q, unknown);
                return rctr_error_set(err, ENOENT, "%s: %s", what, cause);
        }
        if (q->status == 403) {
                cause = reg_http_cause(q, "access denied");
                return rctr_error_set(err, EACCES, "%s: %s", what, cause);
        }
        cause = reg_http_cause(q, q->status >= 500 ? "registry error" : "unexpected answer");
        return rctr_error_set(err, EPROTO, "%s: %s", what, cause);
}

/* ---- manifests ---- */

static const char *const manifest_types[] = {
        IMAGE_MT_OCI_INDEX,
        IMAGE_MT_DOCKER_LIST,
        IMAGE_MT_OCI_MANIFEST,
        IMAGE_MT_DOCKER_V2S2,
};

static const char *known_type(const char *t)
{
        for (size_t i = 0; t && i < ARRAY_SIZE(manifest_types); i++)
                if (strcasecmp(t, manifest_types[i]) == 0)
                        return manifest_types[i];
        return NULL;
}

static bool schema1_type(const char *t)
{
        return t && (strcasecmp(t, IMAGE_MT_DOCKER_V2S1) == 0 ||
                     strcasecmp(t, IMAGE_MT_DOCKER_V2S1_SIGNED) == 0);
}

/* Content types servers use when they do not know better: the document has to say. */
static bool generic_type(const char *t)
{
        return !t || !*t || strcasecmp(t, "application/json") == 0 ||
               strcasecmp(t, "text/plain") == 0 || strcasecmp(t, "application/octet-stream") == 0 ||
               strcasecmp(t, "binary/octet-stream") == 0;
}

/* The type of a manifest from its own fields (as containers/image's GuessMIMEType does). */
static const char *guess_type(const struct buf *body, bool *ret_schema1)
{
        json_t *root = json_loadb(body->data, body->len, 0, NULL), *v;
        const char *t = NULL;

        *ret_schema1 = false;
        if (!json_is_object(root))
                goto out;
        v = json_object_get(root, "mediaType");
        if (json_is_string(v)) {
                t = known_type(json_string_value(v));
                *ret_schema1 = schema1_type(json_string_value(v));
                goto out;
        }
        v = json_object_get(root, "schemaVersion");
        if (json_is_integer(v) && json_integer_value(v) == 1) {
                *ret_schema1 = true;
                goto out;
        }
        if (json_is_array(json_object_get(root, "manifests"))) {
                t = IMAGE_MT_OCI_INDEX;
        } else if (json_is_object(json_object_get(root, "config"))) {
                const char *ct = json_string_value(
                        json_object_get(json_object_get(root, "config"), "mediaType"));

                t = ct && streq(ct, "application/vnd.docker.container.image.v1+json")
                            ? IMAGE_MT_DOCKER_V2S2
                            : IMAGE_MT_OCI_MANIFEST;
        }
out:
        json_decref(root);
        return t;
}

static int manifest_type(const struct reg_request *q, const struct buf *body, const char *what,
                         const char **ret, struct rctr_error *err)
{
        const char *t = known_type(q->content_type);
        bool schema1 = schema1_type(q->content_type);

        if (!t && !schema1 && generic_type(q->content_type))
                t = guess_type(body, &schema1);
        if (schema1)
                return rctr_error_set(err, EOPNOTSUPP,
                                      "%s: schema 1 manifests are not supported (the image is "
                                      "too old: push it again with a current docker, podman or "
                                      "skopeo)",
                                      what);
        if (!t) {
                cleanup_free char *e =
                        q->content_type ? reg_escape(q->content_type, strlen(q->content_type), 100)
                                        : xstrdup("");

                return rctr_error_set(err, EPROTO, "%s: unsupported manifest type \"%s\"", what, e);
        }
        *ret = t;
        return 0;
}

#define MANIFEST_ACCEPT                                                               \
        IMAGE_MT_OCI_INDEX ", " IMAGE_MT_DOCKER_LIST ", " IMAGE_MT_OCI_MANIFEST       \
                           ", " IMAGE_MT_DOCKER_V2S2 ", " IMAGE_MT_DOCKER_V2S1_SIGNED \
                           ", " IMAGE_MT_DOCKER_V2S1

int image_registry_get_manifest(struct image_registry *r, const char *repo, const char *reference,
                                struct buf *out, char **ret_media_type, char **ret_digest,
                                struct rctr_error *err)
{
        bool by_digest = storage_digest_valid(reference);
        cleanup_free char *what =
                xasprintf("pull %s/%s%c%s", r->host, repo, by_digest ? '@' : ':', reference);
        cleanup_free char *ctx = xasprintf("pull %s/%s", r->host, repo), *url = NULL;
        cleanup_buf struct buf body = {0}; /* buf_free() of a zeroed buf is a no-op */
        struct reg_sink sink = {.body = &body, .body_what = "manifest"};
        cleanup_free char *digest = NULL;
        const char *type = NULL;
        struct reg_request q;
        int rr;

        rr = check_names(r, repo, reference, false, err);
        if (rr < 0)
                return rr;
        rr = ensure_ping(r, err);
        if (rr < 0)
                return rctr_error_prefix(err, "%s", what);
        buf_init(&body, IMAGE_MANIFEST_MAX);
        url = xasprintf("%s://%s/v2/%s/manifests/%s", image_registry_scheme(r), r->api_host, repo,
                        reference);
        reg_request_init(&q, url, &sink);
        q.accept = MANIFEST_ACCEPT;
        rr = reg_request_authed(r, &q, repo, what, ctx, err);
        if (rr == 0 && q.status != 200)
                rr = status_error(&q, what, "manifest unknown", err);
        if (rr == 0)
                rr = manifest_type(&q, &body, what, &type, err);
        reg_request_clear(&q);
        if (rr < 0)
                return rr;
        digest = digest_sha256_of(body.data, body.len);
        if (by_digest && !streq(digest, reference))
                return rctr_error_set(err, EBADMSG,
                                      "%s: manifest of %s: digest mismatch (the registry sent "
                                      "%s)",
                                      what, reference, digest);
        if (buf_append(out, body.data, body.len) < 0)
                return rctr_error_set(err, EFBIG, "%s: manifest of %zu bytes is over the limit",
                                      what, body.len);
        if (ret_media_type)
                *ret_media_type = xstrdup(type);
        if (ret_digest)
                *ret_digest = TAKE_PTR(digest);
        return 0;
}

/* ---- blobs ---- */

/* Answer to a Range request starting at the blob's end: "bytes * /SIZE" with SIZE == offset. */
static bool range_at_end(const struct reg_request *q, uint64_t offset)
{
        cleanup_free char *want = xasprintf("bytes */%" PRIu64, offset);

        return q->status == 416 && q->content_range && strcasecmp(q->content_range, want) == 0;
}

int image_registry_get_blob(struct image_registry *r, const char *repo, const char *digest,
                            uint64_t offset, image_blob_write_fn write_cb, void *ctx,
                            struct rctr_error *err)
{
        cleanup_free char *what = xasprintf("pull %s/%s@%s", r->host, repo, digest);
        cleanup_free char *actx = xasprintf("pull %s/%s", r->host, repo), *url = NULL;
        struct reg_sink sink = {.write = write_cb, .ctx = ctx, .offset = offset};
        struct reg_request q;
        int rr;

        rr = check_names(r, repo, digest, true, err);
        if (rr < 0)
                return rr;
        rr = ensure_ping(r, err);
        if (rr < 0)
                return rctr_error_prefix(err, "%s", what);
        url = xasprintf("%s://%s/v2/%s/blobs/%s", image_registry_scheme(r), r->api_host, repo,
                        digest);
        reg_request_init(&q, url, &sink);
        rr = reg_request_authed(r, &q, repo, what, actx, err);
        if (rr == 0 && range_at_end(&q, offset)) {
                log_debug("%s: already complete at %" PRIu64 " bytes", what, offset);
        } else if (rr == 0 && q.status != 200 && q.status != 206) {
                rr = status_error(&q, what, "blob unknown", err);
        } else if (rr == 0 && sink.skip > 0) {
                /* Range ignored, and the blob ended before the bytes the caller already has. */
                rr = rctr_error_set(err, EBADMSG,
                                    "%s: blob is shorter than the %" PRIu64
                                    " bytes already downloaded",
                                    what, offset + sink.delivered);
        }
        reg_request_clear(&q);
        return rr;
}

struct mem_sink {
        struct buf *out;
        struct digest_sha256 *sha;
};

static int mem_write(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct mem_sink *m = ctx;

        if (buf_append(m->out, data, len) < 0)
                return rctr_error_set(err, EFBIG, "blob is larger than the limit of %zu bytes",
                                      m->out->max);
        digest_sha256_update(m->sha, data, len);
        return 0;
}

int image_registry_get_blob_mem(struct image_registry *r, const char *repo, const char *digest,
                                size_t max, struct buf *out, struct rctr_error *err)
{
        cleanup_buf struct buf body = {0};
        struct digest_sha256 *sha __attribute__((cleanup(digest_sha256_freep))) =
                digest_sha256_new();
        struct mem_sink m = {.out = &body, .sha = sha};
        cleanup_free char *got = NULL;
        int rr;

        buf_init(&body, max);
        rr = image_registry_get_blob(r, repo, digest, 0, mem_write, &m, err);
        if (rr < 0)
                return rr;
        got = digest_sha256_string(sha);
        if (!streq(got, digest))
                return rctr_error_set(err, EBADMSG, "pull %s/%s@%s: digest mismatch (received %s)",
                                      r->host, repo, digest, got);
        if (buf_append(out, body.data, body.len) < 0)
                return rctr_error_set(err, EFBIG,
                                      "pull %s/%s@%s: blob of %zu bytes is over the "
                                      "limit",
                                      r->host, repo, digest, body.len);
        return 0;
}
