#include <config.h>
#include "pull.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "manifest.h"
#include "progress.h"
#include "reference.h"
#include "registries-conf.h"
#include "registry.h"
#include "storage/images.h"
#include "storage/layer-writer.h"
#include "storage/store.h"

/* One pull from one source: what the threads share. */
struct pull {
        struct storage_store *store;
        struct image_progress *progress; /* NULL: quiet */
        struct image_registry *reg;
        const struct image_pull_opts *o;
        const char *repo;
        const struct image_manifest *m;
        char **diff_ids, **chain_ids;
        pthread_mutex_t lock; /* next, failed, err */
        size_t next;
        bool failed;
        struct rctr_error err;
};

static enum storage_compression compression_of(enum image_compression c)
{
        return c == IMAGE_COMPRESSION_GZIP   ? STORAGE_COMPRESSION_GZIP
               : c == IMAGE_COMPRESSION_ZSTD ? STORAGE_COMPRESSION_ZSTD
                                             : STORAGE_COMPRESSION_NONE;
}

struct blob_sink {
        struct storage_layer_writer *w;
        struct pull *p;
        size_t i;
};

static int blob_write(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct blob_sink *sink = ctx;

        /* another layer failed: stop this download too */
        if (__atomic_load_n(&sink->p->failed, __ATOMIC_RELAXED))
                return rctr_error_set(err, ECANCELED, "canceled");
        image_progress_update(sink->p->progress, sink->i,
                              storage_layer_writer_received(sink->w) + len);
        return storage_layer_writer_write(sink->w, data, len, err);
}

static int pull_layer(struct pull *p, size_t i, struct rctr_error *err)
{
        const struct image_descriptor *d = &p->m->entries[i];
        struct storage_layer_expect e = {.digest = d->digest,
                                         .diff_id = p->diff_ids[i],
                                         .size = d->size,
                                         .chain_id = p->chain_ids[i],
                                         .compression = compression_of(d->compression)};
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        struct blob_sink sink = {.p = p, .i = i};
        int r;

        if (storage_layer_exists(p->store, p->chain_ids[i])) {
                image_progress_done(p->progress, i, "skipped: already exists");
                return 0;
        }
        r = storage_layer_writer_new(p->store, &e, p->o->unpack, &w, err);
        if (r < 0)
                return r;
        sink.w = w;
        r = image_registry_get_blob(p->reg, p->repo, d->digest, 0, blob_write, &sink, err);
        if (r < 0)
                return r;
        /* the writer serializes its commits: the store's lock is per process, not thread */
        r = storage_layer_writer_finish(w, err);
        if (r >= 0)
                image_progress_done(p->progress, i, "done");
        return r;
}

static void *pull_worker(void *arg)
{
        struct pull *p = arg;

        for (;;) {
                struct rctr_error err = {0};
                size_t i;
                int r;

                pthread_mutex_lock(&p->lock);
                i = p->next++;
                pthread_mutex_unlock(&p->lock);
                if (i >= p->m->n_entries || __atomic_load_n(&p->failed, __ATOMIC_RELAXED))
                        return NULL;
                r = pull_layer(p, i, &err);
                if (r < 0) {
                        pthread_mutex_lock(&p->lock);
                        /* the first failure is the one to report, not the cancellations */
                        if (!p->failed) {
                                p->err = err;
                                __atomic_store_n(&p->failed, true, __ATOMIC_RELAXED);
                        } else {
                                rctr_error_clear(&err);
                        }
                        pthread_mutex_unlock(&p->lock);
                }
        }
}

static int pull_layers(struct pull *p, struct rctr_error *err)
{
        unsigned n = p->o->parallel ? p->o->parallel : 3;
        pthread_t threads[16];
        unsigned started = 0;

        if (n > ARRAY_SIZE(threads))
                n = ARRAY_SIZE(threads);
        if (n > p->m->n_entries)
                n = (unsigned)p->m->n_entries;
        for (; started < n; started++)
                if (pthread_create(&threads[started], NULL, pull_worker, p) != 0)
                        break;
        if (started == 0 && n > 0)
                pull_worker(p); /* no thread could start: do it here */
        for (unsigned t = 0; t < started; t++)
                pthread_join(threads[t], NULL);
        if (!p->failed)
                return 0;
        *err = p->err;
        memset(&p->err, 0, sizeof(p->err));
        return -(err->code ? err->code : EIO);
}

static struct image_progress *layer_progress(const struct image_pull_opts *o,
                                             const struct image_manifest *m)
{
        cleanup_free char **digests = xzalloc((m->n_entries + 1) * sizeof(char *));
        cleanup_free uint64_t *sizes = xzalloc((m->n_entries + 1) * sizeof(uint64_t));

        for (size_t i = 0; i < m->n_entries; i++) {
                digests[i] = m->entries[i].digest;
                sizes[i] = m->entries[i].size;
        }
        /* the digests stay m's: the progress lives no longer than the pull */
        return image_progress_new(o->progress, o->progress && isatty(fileno(o->progress)),
                                  m->n_entries, digests, sizes);
}

/*
 * The image manifest for ref: through the index when there is one. *ret_top_digest is the digest
 * of what reference named (the index, or the manifest itself), *ret_digest the image
 * manifest's: the registry client computed both from the bytes it checked.
 */
static int fetch_manifest(struct image_registry *reg, const char *repo, const char *reference,
                          const struct image_platform *want, struct image_manifest *ret,
                          char **ret_top_digest, char **ret_digest, struct buf *ret_body,
                          struct rctr_error *err)
{
        cleanup_free char *mt = NULL, *top = NULL, *digest = NULL, *chosen = NULL;
        CLEANUP(image_manifest_clear) struct image_manifest m = {0};
        const struct image_descriptor *d;
        int r = image_registry_get_manifest(reg, repo, reference, ret_body, &mt, &top, err);

        if (r >= 0)
                r = image_manifest_parse(ret_body->data, ret_body->len, mt, &m, err);
        if (r < 0)
                return r;
        if (m.kind == IMAGE_MANIFEST_INDEX) {
                d = image_manifest_choose(&m, want, err);
                if (!d)
                        return -ENOENT;
                chosen = xstrdup(d->digest);
                image_manifest_clear(&m);
                free(mt), mt = NULL;
                ret_body->len = 0;
                r = image_registry_get_manifest(reg, repo, chosen, ret_body, &mt, &digest, err);
                if (r >= 0)
                        r = image_manifest_parse(ret_body->data, ret_body->len, mt, &m, err);
                if (r >= 0 && m.kind != IMAGE_MANIFEST_IMAGE)
                        r = rctr_error_set(err, EBADMSG, "the index entry %s is an index again",
                                           chosen);
                if (r < 0)
                        return r;
        }
        *ret_digest = digest ? TAKE_PTR(digest) : xstrdup(top);
        *ret_top_digest = TAKE_PTR(top);
        *ret = m;
        memset(&m, 0, sizeof(m)); /* handed over */
        return 0;
}

/* Under the store's exclusive lock: every layer still there, the image recorded. */
static int record_image(struct storage_store *s, const char *name, const char *top_digest,
                        const char *manifest_digest, const struct image_config *cfg,
                        char **chain_ids, const struct image_manifest *m, struct rctr_error *err)
{
        struct storage_images imgs = {0};
        struct storage_image img = {0};
        size_t n = 0;
        int r = storage_store_lock(s, true, err);

        if (r < 0)
                return r;
        for (char **c = chain_ids; *c; c++, n++)
                if (!storage_layer_exists(s, *c)) {
                        storage_store_unlock(s);
                        return rctr_error_set(err, EAGAIN,
                                              "layer %s was removed meanwhile (rmi or prune): "
                                              "pull again",
                                              *c);
                }
        r = storage_images_load(s, &imgs, err);
        if (r >= 0) {
                img.id = xstrdup(m->config.digest);
                img.manifest = xstrdup(manifest_digest);
                img.names = xzalloc(2 * sizeof(char *));
                img.names[0] = xstrdup(name);
                img.digest = xstrdup(top_digest);
                img.created = cfg->created ? xstrdup(cfg->created) : NULL;
                /* what it takes unpacked, as podman's SIZE column shows */
                for (size_t i = 0; i < n; i++)
                        img.size += storage_layer_size(s, chain_ids[i]);
                img.layers = xzalloc((n + 1) * sizeof(char *));
                for (size_t i = 0; i < n; i++)
                        img.layers[i] = xstrdup(chain_ids[i]);
                storage_images_add(&imgs, &img);
                r = storage_images_save(s, &imgs, err);
        }
        storage_images_clear(&imgs);
        storage_store_unlock(s);
        return r;
}

/* The name an image is recorded under: name:tag, or name@digest when pulled by digest. */
static char *recorded_name(const struct image_ref *ref)
{
        struct image_ref copy = {0};
        char *s;

        image_ref_copy(ref, &copy);
        if (copy.tag && copy.digest) { /* name:tag@digest: the tag is what the user named */
                free(copy.digest);
                copy.digest = NULL;
        }
        s = image_ref_string(&copy);
        image_ref_clear(&copy);
        return s;
}

struct source {
        const struct image_ref *ref; /* what the user gets: the name recorded */
        const char *from;            /* where to pull it from: a mirror or the location */
        bool insecure;
};

static int open_registry(const struct image_pull_opts *o, const struct image_ref *from,
                         bool insecure, struct image_registry **ret, struct rctr_error *err)
{
        cleanup_auth_creds struct image_auth_creds creds = {0};
        cleanup_free char *name = image_ref_name(from), *user = NULL;
        const char *pass = NULL;
        struct image_registry_opts ro = {.host = from->registry,
                                         .insecure = insecure || o->tls_verify == 0};
        int r;

        if (o->creds) {
                user = xstrdup(o->creds);
                char *colon = strchr(user, ':');

                if (!colon)
                        return rctr_error_set(err, EINVAL, "--creds: use USERNAME:PASSWORD");
                *colon = '\0';
                pass = colon + 1;
                ro.username = user, ro.password = pass;
        } else {
                r = image_auth_lookup(o->authfile, name, &creds, err);
                if (r < 0)
                        return r;
                ro.username = creds.username, ro.password = creds.password;
        }
        return image_registry_new(&ro, ret, err);
}

static int pull_source(struct storage_store *s, const struct source *src,
                       const struct image_pull_opts *o, const struct image_platform *want,
                       char **ret_id, struct rctr_error *err)
{
        cleanup_image_ref struct image_ref from = {0};
        cleanup_registry struct image_registry *reg = NULL;
        cleanup_buf struct buf body = {0}, config = {0};
        cleanup_free char *top = NULL, *name = recorded_name(src->ref), *mdigest = NULL;
        CLEANUP(image_manifest_clear) struct image_manifest m = {0};
        CLEANUP(image_config_clear) struct image_config cfg = {0};
        cleanup_strv char **chain = NULL;
        struct pull p = {.store = s, .o = o, .m = &m};
        int r = image_ref_parse(src->from, &from, err);

        buf_init(&body, 0);
        buf_init(&config, 0);
        if (r >= 0)
                r = open_registry(o, &from, src->insecure, &reg, err);
        if (r < 0)
                return r;
        r = fetch_manifest(reg, from.repository, from.digest ? from.digest : from.tag, want, &m,
                           &top, &mdigest, &body, err);
        if (r >= 0)
                r = image_registry_get_blob_mem(reg, from.repository, m.config.digest,
                                                8u * 1024 * 1024, &config, err);
        if (r >= 0)
                r = image_config_parse(config.data, config.len, m.n_entries, &cfg, err);
        if (r < 0)
                return r;
        if (o->progress)
                fprintf(o->progress, "Copying config %.12s done\n", m.config.digest + 7);
        chain = image_chain_ids(cfg.diff_ids);
        p.reg = reg, p.repo = from.repository, p.diff_ids = cfg.diff_ids, p.chain_ids = chain;
        p.progress = layer_progress(o, &m);
        pthread_mutex_init(&p.lock, NULL);
        r = pull_layers(&p, err);
        pthread_mutex_destroy(&p.lock);
        image_progress_free(p.progress);
        /* the image's own documents, by digest, for inspect and save */
        if (r >= 0)
                r = storage_blob_put(s, m.config.digest, config.data, config.len, err);
        if (r >= 0)
                r = storage_blob_put(s, mdigest, body.data, body.len, err);
        if (r >= 0)
                r = record_image(s, name, top, mdigest, &cfg, chain, &m, err);
        if (r >= 0 && o->progress)
                fprintf(o->progress, "Writing manifest to image destination\n");
        if (r >= 0)
                *ret_id = xstrdup(m.config.digest);
        return r;
}

/* Each source of one candidate: mirrors first, then the registry itself. */
static int pull_candidate(struct storage_store *s, const struct image_regconf *conf,
                          const char *candidate, const struct image_pull_opts *o,
                          const struct image_platform *want, char **ret_id, struct rctr_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        struct image_pull_source *sources = NULL;
        int n, r = image_ref_parse(candidate, &ref, err);

        if (r < 0)
                return r;
        n = image_regconf_pull_sources(conf, &ref, &sources, err);
        if (n < 0)
                return n;
        r = -ENOENT;
        for (int i = 0; i < n; i++) {
                struct source src = {
                        .ref = &ref, .from = sources[i].name, .insecure = sources[i].insecure};

                if (i > 0) {
                        log_debug("pull %s from %s failed: %s", candidate, sources[i - 1].name,
                                  err->msg);
                        rctr_error_clear(err);
                }
                r = pull_source(s, &src, o, want, ret_id, err);
                if (r >= 0)
                        break;
        }
        image_pull_sources_free(sources, (size_t)n);
        return r;
}

int image_pull(struct storage_store *s, const char *name, const struct image_pull_opts *o,
               char **ret_id, struct rctr_error *err)
{
        CLEANUP(image_platform_clear) struct image_platform host = {0};
        struct image_regconf *conf = NULL;
        cleanup_image_ref struct image_ref ref = {0};
        cleanup_strv char **candidates = NULL;
        const struct image_platform *want = o->platform;
        int r = image_ref_parse(name, &ref, err);

        if (r >= 0)
                r = image_regconf_load_default(&conf, err);
        if (r >= 0)
                r = image_regconf_resolve_short(conf, &ref, o->have_tty, &candidates, err);
        if (r < 0) {
                image_regconf_free(conf);
                return rctr_error_prefix(err, "pull %s", name);
        }
        if (!want) {
                image_platform_host(&host);
                want = &host;
        }
        r = -ENOENT;
        for (char **c = candidates; *c; c++) {
                if (c != candidates) {
                        /* the next candidate: say why the last one did not do */
                        log_debug("%s", err->msg);
                        rctr_error_clear(err);
                }
                if (o->progress && (candidates[1] || !streq(*c, name)))
                        fprintf(o->progress, "Trying to pull %s...\n", *c);
                r = pull_candidate(s, conf, *c, o, want, ret_id, err);
                if (r >= 0)
                        break;
                /* the registry's errors name what they pulled; the others get it here */
                if (err->msg && strncmp(err->msg, "pull ", 5) != 0)
                        (void)rctr_error_prefix(err, "pull %s", *c);
        }
        image_regconf_free(conf);
        return r;
}
