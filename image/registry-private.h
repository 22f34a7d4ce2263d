/* Shared by image/registry*.c only: the client's state and one HTTP exchange. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "image/challenge.h"
#include "image/registry.h"
#include "lib/buf.h"
#include "lib/error.h"

#define REG_MAX_RETRIES   3
#define REG_MAX_REDIRECTS 10
#define REG_POOL_MAX      16
/* Bearer tokens live at least 60 s (distribution's token spec); refresh a little early. */
#define REG_TOKEN_MIN_LIFETIME 60
#define REG_TOKEN_SLACK        10

struct reg_token {
        char *scope;    /* owned: "repository:library/alpine:pull" or "" */
        char *value;    /* owned: the bearer token */
        time_t expires; /* CLOCK_MONOTONIC seconds */
};

struct image_registry {
        char *host;     /* owned: as the user names it ("docker.io") */
        char *api_host; /* owned: where the API is ("registry-1.docker.io") */
        bool insecure;
        char *username, *password; /* owned; NULL: anonymous */
        char *basic;               /* owned: "Basic base64(user:password)" or NULL */
        char *user_agent;          /* owned */
        unsigned retry_delay_ms;
        long connect_timeout, low_speed_time;

        CURLSH *share; /* DNS cache and TLS sessions of all handles */
        pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST]; /* curl's lock callbacks for share */
        pthread_mutex_t ping_lock;                        /* one ping at a time; held across it */
        pthread_mutex_t lock;                             /* guards the fields below */
        CURL *pool[REG_POOL_MAX]; /* idle easy handles: each keeps its connections */
        size_t n_pool;
        const char *scheme;          /* static "https"/"http" once pinged; NULL before */
        struct image_challenge auth; /* what the ping's 401 asked for; NONE: no auth */
        struct reg_token *tokens;
        size_t n_tokens;
};

/* Where a 2xx body goes: a capped buffer, or the caller's stream. */
struct reg_sink {
        struct buf *body;          /* manifests, tokens: cap in body->max */
        const char *body_what;     /* "manifest", for the over-cap message */
        image_blob_write_fn write; /* blobs */
        void *ctx;
        uint64_t offset;    /* where the caller's stream starts in the blob */
        uint64_t delivered; /* bytes handed on so far, over all attempts */
        uint64_t skip;      /* bytes still to drop (a 200 answering a Range request) */
};

/* One request; the response fields are filled by reg_exchange(). */
struct reg_request {
        const char *url;           /* absolute */
        const char *accept;        /* NULL: none */
        const char *authorization; /* header value, sent only to url's origin; or NULL */
        uint64_t range_from;       /* > 0: Range: bytes=N- */
        struct reg_sink *sink;

        long status;
        char *content_type;  /* owned; without parameters */
        struct buf www_auth; /* WWW-Authenticate values joined by ", " */
        struct buf err_body; /* body of a non-2xx answer, capped */
        char *content_range; /* owned */
        char *final_url;     /* owned: after redirects */
        CURLcode code;
        char errbuf[CURL_ERROR_SIZE];
        struct rctr_error sink_err; /* why the sink refused data */
        bool sink_failed;
        bool resp_is_2xx; /* current response (not a redirect) is 2xx */
        bool resp_checked;
        bool err_body_full; /* stopped reading an error body at its cap */
        CURL *handle;       /* during reg_exchange() */
};

void reg_request_init(struct reg_request *q, const char *url, struct reg_sink *sink);
/* Forget the response of the last attempt (before a retry). */
void reg_request_reset_response(struct reg_request *q);
void reg_request_clear(struct reg_request *q);

/*
 * One exchange with redirects followed (Authorization only to the origin of q->url). Returns 0 when
 * an HTTP answer came (any status: q->status), or -errno with err set for a transport failure;
 * *ret_transient says whether retrying may help.
 */
int reg_exchange(struct image_registry *r, struct reg_request *q, bool tls_verify,
                 bool *ret_transient, struct rctr_error *err);

/*
 * reg_exchange() with the retry policy: transport failures that may pass (resets, timeouts,
 * refused connections, truncated bodies) and HTTP 5xx/429 are retried REG_MAX_RETRIES times
 * with backoff; never 4xx. A stream resumes where it stopped. what names the object for errors.
 * Returns 0 with an HTTP answer (5xx possible after the last retry), or -errno with err set.
 */
int reg_exchange_retry(struct image_registry *r, struct reg_request *q, bool tls_verify, bool retry,
                       const char *what, struct rctr_error *err);

/*
 * The cause of a non-2xx answer for the error line: the registry's errors[].message (escaped,
 * capped) or dflt, then " (HTTP N)". Owned.
 */
char *reg_http_cause(const struct reg_request *q, const char *dflt);

/* Printable, capped copy of untrusted text (control characters as \xNN). Owned. */
char *reg_escape(const char *s, size_t len, size_t max);

/* A URL-encoded query value (RFC 3986 unreserved characters kept). Owned. */
char *reg_query_escape(const char *s);

/*
 * Send q to the registry for repo (NULL: no scope), answering 401s: Basic credentials, or a
 * Bearer token for the scope the challenge names (fetched, cached), then once more. Error
 * prefixes: what for transport failures ("pull localhost:5000/busybox:latest"), ctx for
 * authentication ("pull localhost:5000/busybox"). Returns 0 with a non-401 answer in q (2xx or
 * not), or -errno with err set (-EACCES for authentication failures).
 */
int reg_request_authed(struct image_registry *r, struct reg_request *q, const char *repo,
                       const char *what, const char *ctx, struct rctr_error *err);

/*
 * GET a token for scope (NULL: none, to check credentials) from c's realm, with the client's
 * Basic credentials if any; it is cached. ctx prefixes errors. Returns 0 and *ret (owned).
 */
int reg_fetch_token(struct image_registry *r, const struct image_challenge *c, const char *scope,
                    const char *ctx, char **ret, struct rctr_error *err);

void reg_tokens_free(struct image_registry *r);
