/*
 * Client of the OCI distribution API (Docker Registry HTTP API v2) for pulling: manifests by tag
 * or digest, blobs streamed, Basic and Bearer-token authentication.
 *
 * Transport (as podman does it): HTTPS with verification; a registry marked insecure is tried
 * over HTTPS without verification first, then plain HTTP. Like podman (and unlike docker, which
 * treats 127.0.0.0/8 as insecure), localhost and 127.0.0.1 registries are NOT implicitly
 * insecure: callers pass insecure from --tls-verify=false or registries.conf.
 *
 * Errors are one line naming the registry and repository, like
 *   pull localhost:5000/busybox:latest: manifest unknown (HTTP 404)
 *   pull localhost:5000/busybox: authentication failed (HTTP 401): check the username and
 *   password (rctr login localhost:5000)
 * so callers print them as they are (cmd/ only adds "rctr: "). Errnos callers may branch on:
 * ENOENT (HTTP 404), EACCES (HTTP 401/403, credentials), EBADMSG (digest mismatch, malformed
 * JSON), EFBIG (over a cap), EOPNOTSUPP (schema 1 manifest), EPROTO (other HTTP surprises),
 * ECONNREFUSED/ETIMEDOUT/EHOSTUNREACH/ECONNRESET (network, after retries), EINVAL (bad
 * repository, reference or digest).
 *
 * Retries: HTTP 5xx and 429 (Retry-After is not read), connection failures, resets, timeouts
 * and truncated bodies are retried 3 times after 200 ms, 1 s and 3 s; 4xx never. No total
 * timeout: a transfer slower than 1 KiB/s for 60 s is aborted (and retried).
 *
 * Threads: one struct image_registry may serve several threads at once (parallel layer
 * downloads); each request takes its own curl easy handle from a pool (which keeps connections
 * open between requests), and the ping result and tokens are shared under a mutex.
 * curl_global_init() is called once here (pthread_once) whether or not main() did.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h" /* the media types */

struct buf;
struct rctr_error;

struct image_registry; /* opaque */

/* Caps on what is read into memory from a registry. */
#define IMAGE_MANIFEST_MAX   (4 * 1024 * 1024)
#define IMAGE_TOKEN_BODY_MAX (1024 * 1024)
#define IMAGE_ERROR_BODY_MAX (64 * 1024)

struct image_registry_opts {
        const char *host;                /* "localhost:5000", "quay.io"; "docker.io" is served by
                                            registry-1.docker.io */
        bool insecure;                   /* unverified TLS, then plain HTTP (--tls-verify=false) */
        const char *username, *password; /* NULL: anonymous */
        const char *user_agent;          /* NULL: "rctr/<version>" */
        /* Tuning; 0 means the default. Tests shorten them. */
        unsigned retry_delay_ms;  /* first backoff (200 ms); the 2nd and 3rd are 5x and 15x */
        unsigned connect_timeout; /* seconds (30) */
        unsigned low_speed_time;  /* abort a transfer slower than 1 KiB/s for this long (60 s) */
};

/*
 * Make a client for one registry host. No network traffic yet. Returns 0 and *ret (owned,
 * image_registry_free()), or -EINVAL for an invalid host.
 */
int image_registry_new(const struct image_registry_opts *o, struct image_registry **ret,
                       struct rctr_error *err);
void image_registry_free(struct image_registry *r);

static inline void image_registry_freep(struct image_registry **r)
{
        if (*r)
                image_registry_free(*r);
}
#define cleanup_registry __attribute__((cleanup(image_registry_freep)))

/*
 * GET /v2/: find how to reach the registry (https, or http when insecure) and which
 * authentication it asks for. Done once, implicitly, by the other calls; the result is kept.
 * Returns 0 or -errno with err set.
 */
int image_registry_ping(struct image_registry *r, struct rctr_error *err);

/*
 * Check the client's username and password (for `rctr login`): a Basic registry is asked
 * GET /v2/ with them, a Bearer one's token server for a token without scope. Returns 0 when
 * accepted or the registry needs no authentication, -EACCES when rejected, -EINVAL without
 * credentials, or another -errno; err set on failure.
 */
int image_registry_check_credentials(struct image_registry *r, struct rctr_error *err);

/*
 * GET /v2/<repo>/manifests/<reference> (a tag or "sha256:<hex>"), asking for OCI index, docker
 * manifest list, OCI manifest and docker schema 2 (schema 1 too, to refuse it clearly:
 * -EOPNOTSUPP). The body (at most IMAGE_MANIFEST_MAX) is appended to out (whose own cap must
 * allow it). *ret_media_type is the Content-Type without parameters, or, when the registry sends
 * a generic one (application/json), the type the document says or looks like.
 * *ret_digest is the sha256 of the bytes received; for a digest reference it must equal it,
 * else -EBADMSG. Both owned; either may be NULL.
 */
int image_registry_get_manifest(struct image_registry *r, const char *repo, const char *reference,
                                struct buf *out, char **ret_media_type, char **ret_digest,
                                struct rctr_error *err);

/*
 * Receives a blob's bytes in order. Return 0 to go on, or -errno to abort the download with that
 * errno (set err to say why; if not set, a generic "write" message is used).
 */
typedef int (*image_blob_write_fn)(void *ctx, const void *data, size_t len, struct rctr_error *err);

/*
 * GET /v2/<repo>/blobs/<digest>, streaming the bytes from offset on (the caller already has
 * offset bytes: Range: bytes=offset-) to write_cb. Redirects to blob storage are followed; the
 * Authorization header goes only to the registry itself. A connection lost mid-way is resumed
 * with a Range request. If the server ignores Range (200 instead of 206), the bytes the caller
 * already has are read and dropped, so write_cb always sees the blob's bytes from offset on,
 * exactly once each, and never needs to start over.
 * offset equal to the blob's size fetches nothing (HTTP 416 with "bytes * /size" is accepted).
 * The caller verifies size and digest of what it received (it may have hashed the first offset
 * bytes itself). Returns 0 or -errno with err set; a write_cb failure is returned as it is.
 */
int image_registry_get_blob(struct image_registry *r, const char *repo, const char *digest,
                            uint64_t offset, image_blob_write_fn write_cb, void *ctx,
                            struct rctr_error *err);

/*
 * A small blob (an image config) into out, at most max bytes, verified against digest:
 * -EFBIG past max, -EBADMSG on a digest mismatch.
 */
int image_registry_get_blob_mem(struct image_registry *r, const char *repo, const char *digest,
                                size_t max, struct buf *out, struct rctr_error *err);

/* The scheme chosen by the ping ("https" or "http"), NULL before it; borrowed. For tests/logs. */
const char *image_registry_scheme(struct image_registry *r);
