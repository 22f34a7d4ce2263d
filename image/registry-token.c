/*
 * Registry authentication: Basic credentials, and Bearer tokens from the realm a 401 names (the
 * distribution project's token authentication spec), cached per scope for the client's
 * lifetime, or until they expire.
 */
#include <config.h>
#include "registry-private.h"

#include <errno.h>

#include <jansson.h>

#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static time_t now_mono(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

void reg_tokens_free(struct image_registry *r)
{
        for (size_t i = 0; i < r->n_tokens; i++) {
                free(r->tokens[i].scope);
                explicit_bzero(r->tokens[i].value, strlen(r->tokens[i].value));
                free(r->tokens[i].value);
        }
        free(r->tokens);
        r->tokens = NULL;
        r->n_tokens = 0;
}

/* A copy of the cached token for scope, if still valid; NULL otherwise. */
static char *token_get(struct image_registry *r, const char *scope)
{
        char *v = NULL;
        time_t now = now_mono();

        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < r->n_tokens; i++)
                if (streq(r->tokens[i].scope, scope) && r->tokens[i].expires > now) {
                        v = xstrdup(r->tokens[i].value);
                        break;
                }
        pthread_mutex_unlock(&r->lock);
        return v;
}

static void token_put(struct image_registry *r, const char *scope, const char *value,
                      json_int_t expires_in)
{
        time_t expires;
        size_t i;

        if (expires_in < REG_TOKEN_MIN_LIFETIME)
                expires_in = REG_TOKEN_MIN_LIFETIME;
        if (expires_in > 24 * 3600)
                expires_in = 24 * 3600;
        expires = now_mono() + (time_t)expires_in - REG_TOKEN_SLACK;
        pthread_mutex_lock(&r->lock);
        for (i = 0; i < r->n_tokens; i++)
                if (streq(r->tokens[i].scope, scope))
                        break;
        if (i == r->n_tokens) {
                r->tokens = xreallocarray(r->tokens, r->n_tokens + 1, sizeof(*r->tokens));
                r->tokens[i] = (struct reg_token){.scope = xstrdup(scope)};
                r->n_tokens++;
        } else {
                free(r->tokens[i].value);
        }
        r->tokens[i].value = xstrdup(value);
        r->tokens[i].expires = expires;
        pthread_mutex_unlock(&r->lock);
}

static void token_drop(struct image_registry *r, const char *scope)
{
        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < r->n_tokens; i++)
                if (streq(r->tokens[i].scope, scope))
                        r->tokens[i].expires = 0;
        pthread_mutex_unlock(&r->lock);
}

/* Token text goes into a header line: nothing that could end or bend it. */
static bool token_valid(const char *t)
{
        if (!*t)
                return false;
        for (; *t; t++)
                if (*t <= 0x20 || *t >= 0x7f)
                        return false;
        return true;
}

static int parse_token(const struct buf *body, char **ret, json_int_t *ret_expires,
                       struct rctr_error *err)
{
        json_t *root = NULL, *tok;
        json_int_t expires = 0;
        int r;

        r = jsonutil_parse(body->data, body->len, IMAGE_TOKEN_BODY_MAX, &root, err);
        if (r < 0)
                return r;
        /* "token" per the spec; OAuth2-style servers send "access_token" (both: the same). */
        tok = json_object_get(root, "token");
        if (!json_is_string(tok) || !*json_string_value(tok))
                tok = json_object_get(root, "access_token");
        if (!json_is_string(tok) || !token_valid(json_string_value(tok))) {
                json_decref(root);
                return rctr_error_set(err, EBADMSG,
                                      "no valid token or access_token in the "
                                      "answer");
        }
        if (json_is_integer(json_object_get(root, "expires_in")))
                expires = json_integer_value(json_object_get(root, "expires_in"));
        *ret = xstrdup(json_string_value(tok));
        *ret_expires = expires;
        json_decref(root);
        return 0;
}

static char *token_url(const struct image_challenge *c, const char *scope)
{
        struct buf b;
        char sep = strchr(c->realm, '?') ? '&' : '?';

        buf_init(&b, 0);
        (void)buf_append(&b, c->realm, strlen(c->realm));
        if (c->service) {
                cleanup_free char *e = reg_query_escape(c->service);

                (void)buf_appendf(&b, "%cservice=%s", sep, e);
                sep = '&';
        }
        if (scope) {
                cleanup_free char *e = reg_query_escape(scope);

                (void)buf_appendf(&b, "%cscope=%s", sep, e);
        }
        return buf_detach(&b);
}

/* ctx: "pull HOST/REPO" or "log in to HOST" (no hint to log in then). */
static int auth_failed(struct image_registry *r, long status, const char *ctx,
                       struct rctr_error *err)
{
        bool hint = strncmp(ctx, "pull ", 5) == 0;

        if (r->basic)
                return rctr_error_set(err, EACCES,
                                      "%s: authentication failed (HTTP %ld): check the username "
                                      "and password%s%s%s",
                                      ctx, status, hint ? " (rctr login " : "", hint ? r->host : "",
                                      hint ? ")" : "");
        return rctr_error_set(err, EACCES,
                              "%s: authentication required (HTTP %ld): log in first (rctr login "
                              "%s)",
                              ctx, status, r->host);
}

int reg_fetch_token(struct image_registry *r, const struct image_challenge *c, const char *scope,
                    const char *ctx, char **ret, struct rctr_error *err)
{
        cleanup_free char *url = NULL;
        cleanup_buf struct buf body = {0}; /* buf_free() of a zeroed buf is a no-op */
        struct reg_sink sink = {.body = &body, .body_what = "token answer"};
        struct reg_request q;
        json_int_t expires = 0;
        int rr;

        if (!c->realm || !*c->realm)
                return rctr_error_set(err, EPROTO,
                                      "%s: the registry asks for a Bearer token "
                                      "without naming a realm",
                                      ctx);
        /* The credentials go to the realm: over TLS, unless the user called it insecure. */
        if (strncasecmp(c->realm, "https://", 8) != 0 &&
            !(r->insecure && strncasecmp(c->realm, "http://", 7) == 0)) {
                cleanup_free char *e = reg_escape(c->realm, strlen(c->realm), 200);

                return rctr_error_set(err, EPROTO, "%s: token realm \"%s\" is not an https URL",
                                      ctx, e);
        }
        buf_init(&body, IMAGE_TOKEN_BODY_MAX);
        url = token_url(c, scope);
        reg_request_init(&q, url, &sink);
        q.authorization = r->basic;
        rr = reg_exchange_retry(r, &q, !r->insecure, true, url, err);
        if (rr < 0) {
                reg_request_clear(&q);
                return rctr_error_prefix(err, "%s: get a token", ctx);
        }
        if (q.status == 401 || q.status == 403) {
                rr = auth_failed(r, q.status, ctx, err);
        } else if (q.status != 200) {
                cleanup_free char *cause = reg_http_cause(&q, "token request failed");

                rr = rctr_error_set(err, EPROTO, "%s: get a token from %s: %s", ctx, c->realm,
                                    cause);
        } else {
                cleanup_free char *tok = NULL;

                rr = parse_token(&body, &tok, &expires, err);
                if (rr < 0) {
                        rctr_error_prefix(err, "%s: token from %s", ctx, c->realm);
                } else {
                        token_put(r, scope ? scope : "", tok, expires);
                        *ret = TAKE_PTR(tok);
                }
        }
        reg_request_clear(&q);
        return rr;
}

static void challenge_copy(const struct image_challenge *src, struct image_challenge *dst)
{
        dst->scheme = src->scheme;
        dst->realm = src->realm ? xstrdup(src->realm) : NULL;
        dst->service = src->service ? xstrdup(src->service) : NULL;
        dst->scope = src->scope ? xstrdup(src->scope) : NULL;
        dst->error = src->error ? xstrdup(src->error) : NULL;
}

/* The Authorization value for scope: a cached token (fetched if needed), Basic, or none. */
static int auth_value(struct image_registry *r, const char *scope, const char *ctx, char **ret,
                      bool *ret_fresh, struct rctr_error *err)
{
        cleanup_challenge struct image_challenge c = {0};
        cleanup_free char *tok = NULL;
        int rr;

        pthread_mutex_lock(&r->lock);
        challenge_copy(&r->auth, &c);
        pthread_mutex_unlock(&r->lock);
        *ret = NULL;
        *ret_fresh = false;
        if (c.scheme == IMAGE_CHALLENGE_BASIC) {
                *ret = r->basic ? xstrdup(r->basic) : NULL;
                return 0;
        }
        if (c.scheme != IMAGE_CHALLENGE_BEARER)
                return 0;
        tok = token_get(r, scope ? scope : "");
        if (!tok) {
                rr = reg_fetch_token(r, &c, scope, ctx, &tok, err);
                if (rr < 0)
                        return rr;
                *ret_fresh = true;
        }
        *ret = xasprintf("Bearer %s", tok);
        explicit_bzero(tok, strlen(tok));
        return 0;
}

/* Denied with a token in hand: no such repository, or these credentials may not pull it. */
static int access_denied(struct image_registry *r, const struct reg_request *q, const char *ctx,
                         struct rctr_error *err)
{
        cleanup_free char *cause = reg_http_cause(q, "access denied");

        if (r->username)
                return rctr_error_set(err, EACCES,
                                      "%s: %s: the repository does not exist or %s may not "
                                      "pull it",
                                      ctx, cause, r->username);
        return rctr_error_set(err, EACCES,
                              "%s: %s: the repository does not exist or needs credentials "
                              "(rctr login %s)",
                              ctx, cause, r->host);
}

static bool str_eq_null(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

/* Does c name the realm and service the client used? */
static bool same_realm(struct image_registry *r, const struct image_challenge *c)
{
        bool same;

        pthread_mutex_lock(&r->lock);
        same = r->auth.scheme == c->scheme && str_eq_null(r->auth.realm, c->realm) &&
               str_eq_null(r->auth.service, c->service);
        pthread_mutex_unlock(&r->lock);
        return same;
}

/*
 * A 401 came: learn the challenge. Returns 1 to try again with new authentication, or the
 * final error.
 */
static int handle_401(struct image_registry *r, struct reg_request *q, const char *scope,
                      bool sent_auth, bool fresh_token, const char *ctx, struct rctr_error *err)
{
        cleanup_challenge struct image_challenge c = {0};
        cleanup_error struct rctr_error e = {0};
        int rr;

        rr = image_challenge_parse(q->www_auth.data, q->www_auth.len, &c, &e);
        if (rr < 0)
                return rctr_error_set(err, EACCES, "%s: HTTP 401 with %s", ctx,
                                      q->www_auth.len ? e.msg : "no WWW-Authenticate header");
        if (c.scheme == IMAGE_CHALLENGE_BASIC) {
                if (!r->basic || sent_auth)
                        return auth_failed(r, q->status, ctx, err);
        } else if (fresh_token && same_realm(r, &c)) {
                /*
                 * A token the same realm just issued for this very scope did not do: it is not
                 * about expiry. (A challenge naming another realm is learnt and tried.)
                 */
                return access_denied(r, q, ctx, err);
        }
        if (c.scheme == IMAGE_CHALLENGE_BEARER)
                token_drop(r, scope ? scope : "");
        pthread_mutex_lock(&r->lock);
        image_challenge_clear(&r->auth);
        r->auth = c;
        c = (struct image_challenge){0};
        pthread_mutex_unlock(&r->lock);
        return 1;
}

int reg_request_authed(struct image_registry *r, struct reg_request *q, const char *repo,
                       const char *what, const char *ctx, struct rctr_error *err)
{
        cleanup_free char *scope = repo ? xasprintf("repository:%s:pull", repo) : NULL;

        /* Twice at most: with what we know, then with what a 401 taught us. */
        for (int round = 0;; round++) {
                cleanup_free char *auth = NULL;
                bool fresh = false, bearer;
                int rr;

                rr = auth_value(r, scope, ctx, &auth, &fresh, err);
                if (rr < 0)
                        return rr;
                bearer = auth && strncmp(auth, "Bearer ", 7) == 0;
                q->authorization = auth;
                rr = reg_exchange_retry(r, q, !r->insecure, true, what, err);
                q->authorization = NULL;
                if (auth)
                        explicit_bzero(auth, strlen(auth));
                if (rr < 0)
                        return rctr_error_prefix(err, "%s", what);
                if (q->status != 401)
                        return 0;
                if (round > 0)
                        return bearer ? access_denied(r, q, ctx, err)
                                      : auth_failed(r, q->status, ctx, err);
                rr = handle_401(r, q, scope, auth != NULL, fresh, ctx, err);
                if (rr < 0)
                        return rr;
        }
}
