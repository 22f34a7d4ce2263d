/*
 * One HTTP exchange with a registry on libcurl, and the retry policy around it (STYLE.md §11):
 * redirects followed by hand so that credentials never leave the registry's origin, capped
 * bodies, errors from the registry's JSON.
 */
#include <config.h>
#include "registry-private.h"

#include <errno.h>
#include <inttypes.h>
#include <strings.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

void reg_request_init(struct reg_request *q, const char *url, struct reg_sink *sink)
{
        *q = (struct reg_request){.url = url, .sink = sink};
        buf_init(&q->www_auth, IMAGE_CHALLENGE_MAX);
        buf_init(&q->err_body, IMAGE_ERROR_BODY_MAX);
}

void reg_request_reset_response(struct reg_request *q)
{
        q->status = 0;
        free(q->content_type);
        q->content_type = NULL;
        free(q->content_range);
        q->content_range = NULL;
        free(q->final_url);
        q->final_url = NULL;
        buf_free(&q->www_auth);
        buf_free(&q->err_body);
        q->code = CURLE_OK;
        q->errbuf[0] = '\0';
        rctr_error_clear(&q->sink_err);
        q->sink_failed = false;
        q->resp_is_2xx = false;
        q->resp_checked = false;
        q->err_body_full = false;
}

void reg_request_clear(struct reg_request *q)
{
        reg_request_reset_response(q);
}

char *reg_escape(const char *s, size_t len, size_t max)
{
        struct buf b;

        buf_init(&b, 0);
        for (size_t i = 0; i < len && b.len < max; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c < 0x20 || c == 0x7f || c == '\\')
                        (void)buf_appendf(&b, "\\x%02x", c);
                else
                        (void)buf_append(&b, &s[i], 1);
        }
        if (b.len >= max)
                (void)buf_append(&b, "...", 3);
        return buf_detach(&b);
}

char *reg_query_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        struct buf b;

        buf_init(&b, 0);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~') {
                        (void)buf_append(&b, s, 1);
                } else {
                        char e[3] = {'%', hex[c >> 4], hex[c & 15]};

                        (void)buf_append(&b, e, 3);
                }
        }
        return buf_detach(&b);
}

/* ---- the pool of easy handles: each keeps its connections open between requests ---- */

static CURL *handle_get(struct image_registry *r)
{
        CURL *h = NULL;

        pthread_mutex_lock(&r->lock);
        if (r->n_pool > 0)
                h = r->pool[--r->n_pool];
        pthread_mutex_unlock(&r->lock);
        if (!h)
                h = curl_easy_init();
        if (!h)
                xalloc_die(); /* curl_easy_init fails only when out of memory */
        return h;
}

static void handle_put(struct image_registry *r, CURL *h)
{
        /* Drop the options: they point at the finished request (error buffer, headers, sink). */
        curl_easy_reset(h);
        pthread_mutex_lock(&r->lock);
        if (r->n_pool < REG_POOL_MAX) {
                r->pool[r->n_pool++] = h;
                h = NULL;
        }
        pthread_mutex_unlock(&r->lock);
        if (h)
                curl_easy_cleanup(h);
}

/* ---- callbacks ---- */

static void trim(const char **s, size_t *n)
{
        while (*n > 0 && ((*s)[*n - 1] == '\r' || (*s)[*n - 1] == '\n' || (*s)[*n - 1] == ' ' ||
                          (*s)[*n - 1] == '\t'))
                (*n)--;
        while (*n > 0 && (**s == ' ' || **s == '\t')) {
                (*s)++;
                (*n)--;
        }
}

static bool header_is(const char *line, size_t n, const char *name, const char **ret_value,
                      size_t *ret_len)
{
        size_t k = strlen(name);

        if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
                return false;
        *ret_value = line + k + 1;
        *ret_len = n - k - 1;
        trim(ret_value, ret_len);
        return true;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
        struct reg_request *q = userdata;
        const char *v;
        size_t len = size * n, vn;

        if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                /* A new response (after a 100 Continue, say): forget the previous headers. */
                free(q->content_type);
                q->content_type = NULL;
                free(q->content_range);
                q->content_range = NULL;
                buf_free(&q->www_auth);
                return len;
        }
        if (header_is(data, len, "Content-Type", &v, &vn)) {
                size_t semi = 0;

                while (semi < vn && v[semi] != ';')
                        semi++;
                trim(&v, &semi);
                free(q->content_type);
                q->content_type = xstrndup(v, semi);
        } else if (header_is(data, len, "WWW-Authenticate", &v, &vn)) {
                /* Several lines are one list (RFC 7230 §3.2.2); past the cap, the rest is lost. */
                if (q->www_auth.len > 0)
                        (void)buf_append(&q->www_auth, ", ", 2);
                (void)buf_append(&q->www_auth, v, vn);
        } else if (header_is(data, len, "Content-Range", &v, &vn)) {
                free(q->content_range);
                q->content_range = xstrndup(v, vn);
        }
        return len;
}

/* "bytes N-M/T", T maybe a "*": the start N. */
static int content_range_start(const char *s, uint64_t *ret)
{
        cleanup_free char *num = NULL;
        size_t n;

        if (!s || strncasecmp(s, "bytes ", 6) != 0)
                return -EINVAL;
        s += 6;
        n = strspn(s, "0123456789");
        if (n == 0 || s[n] != '-')
                return -EINVAL;
        num = xstrndup(s, n);
        return parse_u64(num, ret);
}

/* First bytes of a response: is it the 2xx body, and where does it start? */
static int check_response(struct reg_request *q)
{
        struct reg_sink *sink = q->sink;
        curl_off_t clen = -1;
        long status = 0;

        q->resp_checked = true;
        curl_easy_getinfo(q->handle, CURLINFO_RESPONSE_CODE, &status);
        q->resp_is_2xx = status >= 200 && status < 300;
        if (!q->resp_is_2xx || !sink)
                return 0;
        sink->skip = 0;
        if (sink->body) {
                curl_easy_getinfo(q->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
                if (clen > 0 && (uint64_t)clen > sink->body->max)
                        return rctr_error_set(&q->sink_err, EFBIG,
                                              "%s of %" PRIu64 " bytes is larger than the limit "
                                              "of %zu",
                                              sink->body_what, (uint64_t)clen, sink->body->max);
                return 0;
        }
        if (q->range_from > 0 && status == 200) {
                /* Range ignored: the whole blob comes again; drop what the caller has. */
                log_debug("%s: Range ignored, skipping %" PRIu64 " bytes", q->url, q->range_from);
                sink->skip = q->range_from;
        } else if (q->range_from > 0 && status == 206) {
                uint64_t start;

                if (content_range_start(q->content_range, &start) < 0 || start != q->range_from)
                        return rctr_error_set(
                                &q->sink_err, EPROTO,
                                "asked for bytes from %" PRIu64 ", got Content-Range \"%s\"",
                                q->range_from, q->content_range ? q->content_range : "");
        }
        return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
        struct reg_request *q = userdata;
        struct reg_sink *sink = q->sink;
        size_t len = size * n;
        int r;

        if (!q->resp_checked && check_response(q) < 0)
                goto fail;
        if (!q->resp_is_2xx || !sink) {
                if (buf_append(&q->err_body, data, len) < 0) {
                        q->err_body_full = true; /* enough to explain the error: stop */
                        return 0;
                }
                return len;
        }
        if (sink->skip > 0) {
                size_t drop = sink->skip < len ? (size_t)sink->skip : len;

                sink->skip -= drop;
                data += drop;
                len -= drop;
                if (len == 0)
                        return size * n;
        }
        if (sink->body) {
                if (buf_append(sink->body, data, len) < 0) {
                        rctr_error_set(&q->sink_err, EFBIG, "%s is larger than the limit of %zu",
                                       sink->body_what, sink->body->max);
                        goto fail;
                }
        } else {
                r = sink->write(sink->ctx, data, len, &q->sink_err);
                if (r < 0) {
                        if (!q->sink_err.msg)
                                rctr_error_sys(&q->sink_err, -r, "write");
                        goto fail;
                }
        }
        sink->delivered += len;
        return size * n;
fail:
        q->sink_failed = true;
        return 0; /* curl aborts the transfer: CURLE_WRITE_ERROR */
}

/* libcurl's verbose output at --log-level=trace, without credentials (STYLE.md §9). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
        const char *dir = type == CURLINFO_HEADER_OUT  ? ">"
                          : type == CURLINFO_HEADER_IN ? "<"
                                                       : "*";
        const char *p = data, *end = data + size;

        if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
                return 0;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                const char *line = p;

                p += n + (nl ? 1 : 0);
                trim(&line, &n);
                if (n == 0)
                        continue;
                if (n >= 14 && strncasecmp(line, "authorization:", 14) == 0)
                        log_trace("curl %s Authorization: (redacted)", dir);
                else
                        log_trace("curl %s %.*s", dir, (int)n, line);
        }
        return 0;
}

/* ---- one exchange ---- */

/* scheme://host[:port] of url, with the scheme's default port dropped; owned or NULL. */
static char *url_origin(const char *url)
{
        const char *p = strstr(url, "://"), *host;
        size_t n;

        if (!p)
                return NULL;
        host = p + 3;
        n = strcspn(host, "/?#");
        if (memchr(host, '@', n))
                return NULL; /* userinfo: never treat as the registry */
        if (strncmp(url, "https://", 8) == 0 && n > 4 && strncmp(host + n - 4, ":443", 4) == 0)
                n -= 4;
        else if (strncmp(url, "http://", 7) == 0 && n > 3 && strncmp(host + n - 3, ":80", 3) == 0)
                n -= 3;
        return xasprintf("%.*s%.*s", (int)(host - url), url, (int)n, host);
}

static bool same_origin(const char *a, const char *b)
{
        cleanup_free char *oa = url_origin(a), *ob = url_origin(b);

        return oa && ob && strcasecmp(oa, ob) == 0;
}

static bool scheme_allowed(const struct image_registry *r, const char *url)
{
        return strncasecmp(url, "https://", 8) == 0 ||
               (r->insecure && strncasecmp(url, "http://", 7) == 0);
}

static struct curl_slist *request_headers(struct reg_request *q, const char *url)
{
        struct curl_slist *h = NULL;
        cleanup_free char *accept = NULL, *auth = NULL, *range = NULL;

        /* Always one: some registries answer schema 1 to curl's default (any type). */
        accept = xasprintf("Accept: %s", q->accept ? q->accept : "*/*");
        h = curl_slist_append(h, accept);
        /*
         * Credentials only for the origin we were asked to talk to (the registry, its token
         * server): a redirect to blob storage elsewhere (S3, a CDN) must not receive them. curl
         * ≥ 7.58 would drop a custom Authorization header on a host change too, but we follow
         * redirects ourselves and so decide here.
         */
        if (q->authorization && same_origin(url, q->url)) {
                auth = xasprintf("Authorization: %s", q->authorization);
                h = curl_slist_append(h, auth);
                explicit_bzero(auth, strlen(auth));
        }
        if (q->range_from > 0) {
                range = xasprintf("Range: bytes=%" PRIu64 "-", q->range_from);
                h = curl_slist_append(h, range);
        }
        if (!h)
                xalloc_die();
        return h;
}

static void setup_handle(struct image_registry *r, struct reg_request *q, CURL *h, const char *url,
                         struct curl_slist *headers, bool tls_verify)
{
        curl_easy_reset(h); /* keeps the connection cache */
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->errbuf);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
        curl_easy_setopt(h, CURLOPT_USERAGENT, r->user_agent);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, r->insecure ? "http,https" : "https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, r->insecure ? "http,https" : "https");
#else
        curl_easy_setopt(h, CURLOPT_PROTOCOLS,
                         r->insecure ? (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
                                     : (long)CURLPROTO_HTTPS);
#endif
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* reg_exchange() follows them */
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, r->connect_timeout);
        /* No total timeout: a 2 GiB layer on a slow link is fine as long as it moves. */
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, r->low_speed_time);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, tls_verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, tls_verify ? 2L : 0L);
        curl_easy_setopt(h, CURLOPT_SHARE, r->share);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
        if (log_max_level >= LOG_LEVEL_TRACE) {
                curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
                curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
        }
}

static bool curl_transient(CURLcode c)
{
        switch (c) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return true;
        default:
                return false;
        }
}

static int curl_errno(CURLcode c)
{
        switch (c) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return EHOSTUNREACH;
        case CURLE_COULDNT_CONNECT:
                return ECONNREFUSED;
        case CURLE_OPERATION_TIMEDOUT:
                return ETIMEDOUT;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return ECONNRESET;
        default:
                return EPROTO;
        }
}

static bool curl_is_tls(CURLcode c)
{
        return c == CURLE_SSL_CONNECT_ERROR || c == CURLE_PEER_FAILED_VERIFICATION ||
               c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_CERTPROBLEM ||
               c == CURLE_SSL_CIPHER || c == CURLE_SSL_ISSUER_ERROR;
}

static int transport_error(struct image_registry *r, struct reg_request *q, const char *url,
                           bool tls_verify, struct rctr_error *err)
{
        const char *text = q->errbuf[0] ? q->errbuf : curl_easy_strerror(q->code);

        if (curl_is_tls(q->code) && tls_verify)
                return rctr_error_set(err, EPROTO,
                                      "GET %s: %s (if %s serves plain HTTP or an untrusted "
                                      "certificate, use --tls-verify=false or mark it insecure in "
                                      "registries.conf)",
                                      url, text, r->host);
        if (q->code == CURLE_UNSUPPORTED_PROTOCOL)
                return rctr_error_set(err, EPROTO,
                                      "GET %s: plain HTTP is allowed only for an "
                                      "insecure registry (--tls-verify=false)",
                                      url);
        return rctr_error_set(err, curl_errno(q->code), "GET %s: %s", url, text);
}

static bool is_redirect(long status)
{
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* One hop: perform and classify. 1: a redirect to *next; 0: an answer; <0: failure. */
static int exchange_hop(struct image_registry *r, struct reg_request *q, CURL *h, const char *url,
                        bool tls_verify, char **next, bool *ret_transient, struct rctr_error *err)
{
        struct curl_slist *headers = request_headers(q, url);
        const char *loc = NULL;

        q->resp_checked = false;
        buf_free(&q->err_body);
        q->err_body_full = false;
        setup_handle(r, q, h, url, headers, tls_verify);
        q->code = curl_easy_perform(h);
        curl_slist_free_all(headers);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->status);
        if (q->sink_failed) {
                *ret_transient = false;
                return rctr_error_set(err, q->sink_err.code, "%s", q->sink_err.msg);
        }
        /*
         * An error body stopped at its cap is still an answer; so is one cut short (distribution
         * announces the blob's length on a 416): only a 2xx body has to be whole.
         */
        if (q->code != CURLE_OK && !(q->code == CURLE_WRITE_ERROR && q->err_body_full) &&
            !(q->code == CURLE_PARTIAL_FILE && q->status >= 300)) {
                *ret_transient = curl_transient(q->code);
                return transport_error(r, q, url, tls_verify, err);
        }
        if (!is_redirect(q->status))
                return 0;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
        if (!loc)
                return rctr_error_set(err, EPROTO, "GET %s: HTTP %ld without a Location", url,
                                      q->status);
        if (!scheme_allowed(r, loc))
                return rctr_error_set(err, EPROTO,
                                      "GET %s: redirected to %s: only https is allowed for a "
                                      "registry that is not insecure",
                                      url, loc);
        *next = xstrdup(loc);
        return 1;
}

int reg_exchange(struct image_registry *r, struct reg_request *q, bool tls_verify,
                 bool *ret_transient, struct rctr_error *err)
{
        CURL *h = handle_get(r);
        cleanup_free char *url = xstrdup(q->url);
        int ret = 0;

        *ret_transient = false;
        q->handle = h;
        for (int hop = 0;; hop++) {
                char *next = NULL;

                ret = exchange_hop(r, q, h, url, tls_verify, &next, ret_transient, err);
                if (ret <= 0)
                        break;
                if (hop >= REG_MAX_REDIRECTS) {
                        free(next);
                        ret = rctr_error_set(err, EPROTO, "GET %s: more than %d redirects", q->url,
                                             REG_MAX_REDIRECTS);
                        break;
                }
                log_debug("GET %s: HTTP %ld to %s", url, q->status, next);
                free(url);
                url = next;
        }
        q->handle = NULL;
        handle_put(r, h);
        if (ret < 0)
                return ret;
        free(q->final_url);
        q->final_url = TAKE_PTR(url);
        return 0;
}

static bool status_transient(long status)
{
        return status == 429 || (status >= 500 && status <= 599);
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int reg_exchange_retry(struct image_registry *r, struct reg_request *q, bool tls_verify, bool retry,
                       const char *what, struct rctr_error *err)
{
        const unsigned factor[REG_MAX_RETRIES] = {1, 5, 15};

        for (int attempt = 0;; attempt++) {
                cleanup_error struct rctr_error e = {0};
                bool transient = false;
                int rr;

                reg_request_reset_response(q);
                if (q->sink && q->sink->body)
                        buf_free(q->sink->body); /* small bodies start over */
                else if (q->sink)
                        q->range_from = q->sink->offset + q->sink->delivered; /* streams resume */
                rr = reg_exchange(r, q, tls_verify, &transient, &e);
                if (rr == 0 && !status_transient(q->status))
                        return 0;
                if (!retry || attempt >= REG_MAX_RETRIES || (rr < 0 && !transient)) {
                        if (rr < 0)
                                return rctr_error_set(err, e.code, "%s", e.msg);
                        return 0; /* the caller turns the 5xx into its error */
                }
                if (rr < 0)
                        log_debug("%s: %s; retry %d of %d in %u ms", what, e.msg, attempt + 1,
                                  REG_MAX_RETRIES, r->retry_delay_ms * factor[attempt]);
                else
                        log_debug("%s: HTTP %ld; retry %d of %d in %u ms", what, q->status,
                                  attempt + 1, REG_MAX_RETRIES,
                                  r->retry_delay_ms * factor[attempt]);
                sleep_ms(r->retry_delay_ms * factor[attempt]);
        }
}

/* errors[].message of the distribution spec's error body ("; "-joined), or NULL. */
static char *error_messages(const struct buf *body)
{
        json_t *root, *errors, *e;
        struct buf b;
        size_t i;

        if (body->len == 0)
                return NULL;
        root = json_loadb(body->data, body->len, 0, NULL);
        errors = json_is_object(root) ? json_object_get(root, "errors") : NULL;
        if (!json_is_array(errors)) {
                json_decref(root);
                return NULL;
        }
        buf_init(&b, 0);
        json_array_foreach(errors, i, e) {
                const char *msg = json_string_value(json_object_get(e, "message"));
                const char *code = json_string_value(json_object_get(e, "code"));
                cleanup_free char *text = NULL;

                if (msg && *msg)
                        text = reg_escape(msg, strlen(msg), 200);
                else if (code && *code)
                        text = reg_escape(code, strlen(code), 200);
                else
                        continue;
                if (b.len > 0)
                        (void)buf_append(&b, "; ", 2);
                (void)buf_append(&b, text, strlen(text));
                if (i >= 4)
                        break; /* a few explain it; the rest would make the line unreadable */
        }
        json_decref(root);
        if (b.len == 0) {
                buf_free(&b);
                return NULL;
        }
        return buf_detach(&b);
}

char *reg_http_cause(const struct reg_request *q, const char *dflt)
{
        cleanup_free char *msgs = error_messages(&q->err_body);

        return xasprintf("%s (HTTP %ld)", msgs ? msgs : dflt, q->status);
}
