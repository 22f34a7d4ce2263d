#include <config.h>
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "image/archive-docker.h"
#include "image/archive-oci.h"
#include "image/archive-reader.h"
#include "image/manifest.h"
#include "image/record.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-export.h"
#include "storage/layer-path.h"
#include "storage/layer-writer.h"
#include "storage/store.h"

#define COPY_CHUNK (128u * 1024)

/* One layer to unpack from one member. */
struct job {
        char *member;  /* owned: the regular member, links resolved */
        char *digest;  /* owned: the blob's digest when the archive says it, or NULL */
        uint64_t size; /* the blob's size from the manifest; 0: not checked */
        enum storage_compression compression;
        char *diff_id;                  /* owned */
        char *chain_id;                 /* owned */
        struct storage_layer_writer *w; /* owned: ended (verified), not committed */
};

/* One image of the archive. */
struct loaded {
        char *id;                   /* owned: the config digest */
        const struct buf *cfg;      /* borrowed from the reader: the config's bytes */
        char *created;              /* owned, or NULL */
        char **names;               /* owned strv */
        char **chain_ids;           /* owned strv */
        char *digest;               /* owned (oci-archive): the index entry's digest */
        char *manifest_digest;      /* owned (oci-archive) */
        const struct buf *manifest; /* borrowed (oci-archive): its bytes */
};

struct load {
        struct storage_store *s;
        const struct image_load_opts *o;
        struct image_archive_reader *r;
        struct loaded *imgs;
        size_t n_imgs;
        struct job *jobs;
        size_t n_jobs;
        char *buf; /* owned: COPY_CHUNK */
};

static void load_clear(struct load *l)
{
        for (size_t i = 0; i < l->n_jobs; i++) {
                struct job *j = &l->jobs[i];

                storage_layer_writer_free(j->w); /* an uncommitted stage goes with it */
                free(j->member);
                free(j->digest);
                free(j->diff_id);
                free(j->chain_id);
        }
        free(l->jobs);
        for (size_t i = 0; i < l->n_imgs; i++) {
                struct loaded *img = &l->imgs[i];

                free(img->id);
                free(img->created);
                strv_free(img->names);
                strv_free(img->chain_ids);
                free(img->digest);
                free(img->manifest_digest);
        }
        free(l->imgs);
        image_archive_reader_free(l->r);
        free(l->buf);
}

static size_t strv_len(char **v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

static void strv_add(char ***v, char *s)
{
        size_t n = strv_len(*v);

        *v = xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = s;
        (*v)[n + 1] = NULL;
}

static struct loaded *new_image(struct load *l)
{
        l->imgs = xreallocarray(l->imgs, l->n_imgs + 1, sizeof(*l->imgs));
        memset(&l->imgs[l->n_imgs], 0, sizeof(*l->imgs));
        l->imgs[l->n_imgs].names = xzalloc(sizeof(char *));
        return &l->imgs[l->n_imgs++];
}

/* A layer to unpack, unless the store has it or another job makes it already. */
static void add_job(struct load *l, const struct job *want)
{
        if (storage_layer_exists(l->s, want->chain_id)) {
                if (l->o->progress)
                        fprintf(l->o->progress, "Copying blob %.12s skipped: already exists\n",
                                want->diff_id + 7);
                return;
        }
        for (size_t i = 0; i < l->n_jobs; i++)
                if (streq(l->jobs[i].chain_id, want->chain_id))
                        return;
        l->jobs = xreallocarray(l->jobs, l->n_jobs + 1, sizeof(*l->jobs));
        l->jobs[l->n_jobs++] = (struct job){
                .member = xstrdup(want->member),
                .digest = want->digest ? xstrdup(want->digest) : NULL,
                .size = want->size,
                .compression = want->compression,
                .diff_id = xstrdup(want->diff_id),
                .chain_id = xstrdup(want->chain_id),
        };
}

/* A JSON member the archive must have: missing, too big or not JSON are one error. */
static const struct buf *need_json(struct load *l, const char *name, struct rctr_error *err)
{
        const struct buf *b = image_archive_reader_json(l->r, name);
        cleanup_free char *shown = NULL;

        if (b)
                return b;
        shown = storage_layer_path_escape(name);
        (void)rctr_error_set(err, EBADMSG,
                             image_archive_reader_resolve(l->r, name, NULL)
                                     ? "member %s is not a JSON document of at most 8 MiB"
                                     : "member %s is missing from the archive",
                             shown);
        return NULL;
}

/* The config of an image: its digest is the id, its diff_ids give the chain. */
static int take_config(struct loaded *img, const struct buf *cfg, size_t n_layers,
                       struct image_config *ret, struct rctr_error *err)
{
        int r = image_config_parse(cfg->data, cfg->len, n_layers, ret, err);

        if (r < 0)
                return rctr_error_prefix(err, "config");
        img->cfg = cfg;
        img->id = digest_sha256_of(cfg->data, cfg->len);
        img->created = ret->created ? xstrdup(ret->created) : NULL;
        img->chain_ids = image_chain_ids(ret->diff_ids);
        return 0;
}

static int plan_docker_image(struct load *l, const struct image_docker_entry *e,
                             struct rctr_error *err)
{
        CLEANUP(image_config_clear) struct image_config cfg = {0};
        const struct buf *config = need_json(l, e->config, err);
        size_t n = strv_len(e->layers);
        struct loaded *img;
        int r;

        if (!config)
                return rctr_error_prefix(err, "Config");
        img = new_image(l);
        r = take_config(img, config, n, &cfg, err);
        for (char **t = e->repo_tags; r >= 0 && *t; t++) {
                char *name = NULL;

                r = image_docker_tag_normalize(*t, &name, err);
                if (r >= 0)
                        strv_add(&img->names, name);
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const char *member = image_archive_reader_resolve(l->r, e->layers[i], NULL);
                cleanup_free char *shown = storage_layer_path_escape(e->layers[i]);
                /* docker 25 names layers by their digest: then it is checked too */
                const char *hex =
                        strncmp(e->layers[i], "blobs/sha256/", 13) == 0 ? e->layers[i] + 13 : NULL;
                cleanup_free char *digest = hex ? xasprintf("sha256:%s", hex) : NULL;
                struct job want = {.member = (char *)member,
                                   .digest = digest && storage_digest_valid(digest) ? digest : NULL,
                                   .compression = STORAGE_COMPRESSION_AUTO,
                                   .diff_id = cfg.diff_ids[i],
                                   .chain_id = img->chain_ids[i]};

                if (!member)
                        return rctr_error_set(err, EBADMSG,
                                              "layer member %s is missing from the archive", shown);
                add_job(l, &want);
        }
        return r;
}

static int plan_docker(struct load *l, const struct buf *text, struct rctr_error *err)
{
        CLEANUP(image_docker_manifest_clear) struct image_docker_manifest dm = {0};
        int r = image_docker_manifest_parse(text->data, text->len, &dm, err);

        for (size_t i = 0; r >= 0 && i < dm.n; i++) {
                r = plan_docker_image(l, &dm.v[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "%s: [%zu]", IMAGE_DOCKER_MANIFEST, i);
        }
        return r;
}

/* blobs/sha256/<hex> of digest, held and matching it. */
static const struct buf *need_blob(struct load *l, const char *digest, struct rctr_error *err)
{
        cleanup_free char *name = image_oci_blob_name(digest), *got = NULL;
        const struct buf *b = need_json(l, name, err);

        if (!b)
                return NULL;
        got = digest_sha256_of(b->data, b->len);
        if (!streq(got, digest)) {
                (void)rctr_error_set(err, EBADMSG, "blob %s: digest mismatch: got %s", digest, got);
                return NULL;
        }
        return b;
}

static enum storage_compression compression_of(enum image_compression c)
{
        return c == IMAGE_COMPRESSION_GZIP   ? STORAGE_COMPRESSION_GZIP
               : c == IMAGE_COMPRESSION_ZSTD ? STORAGE_COMPRESSION_ZSTD
                                             : STORAGE_COMPRESSION_NONE;
}

/* The image manifest an index entry means: through a nested index for this host. */
static int oci_manifest(struct load *l, const struct image_oci_entry *e, const struct buf **ret,
                        char **ret_digest, struct image_manifest *m, struct rctr_error *err)
{
        CLEANUP(image_platform_clear) struct image_platform host = {0};
        const struct buf *b = need_blob(l, e->digest, err);
        const struct image_descriptor *d;
        cleanup_free char *chosen = NULL;
        int r;

        if (!b)
                return -EBADMSG;
        r = image_manifest_parse(b->data, b->len, e->media_type, m, err);
        if (r < 0 || m->kind == IMAGE_MANIFEST_IMAGE) {
                *ret = b;
                *ret_digest = xstrdup(e->digest);
                return r;
        }
        image_platform_host(&host);
        d = image_manifest_choose(m, &host, err);
        if (!d)
                return -ENOENT;
        chosen = xstrdup(d->digest);
        image_manifest_clear(m);
        b = need_blob(l, chosen, err);
        r = b ? image_manifest_parse(b->data, b->len, NULL, m, err) : -EBADMSG;
        if (r >= 0 && m->kind != IMAGE_MANIFEST_IMAGE)
                r = rctr_error_set(err, EBADMSG, "the index entry %s is an index again", chosen);
        *ret = b;
        *ret_digest = TAKE_PTR(chosen);
        return r;
}

static int plan_oci_layers(struct load *l, struct loaded *img, const struct image_manifest *m,
                           char **diff_ids, struct rctr_error *err)
{
        for (size_t i = 0; i < m->n_entries; i++) {
                const struct image_descriptor *d = &m->entries[i];
                cleanup_free char *name = image_oci_blob_name(d->digest);
                struct job want = {.member = (char *)image_archive_reader_resolve(l->r, name, NULL),
                                   .digest = d->digest,
                                   .size = d->size,
                                   .compression = compression_of(d->compression),
                                   .diff_id = diff_ids[i],
                                   .chain_id = img->chain_ids[i]};

                if (!want.member)
                        return rctr_error_set(err, EBADMSG,
                                              "layer blob %s is missing from the archive",
                                              d->digest);
                add_job(l, &want);
        }
        return 0;
}

static int plan_oci_entry(struct load *l, const struct image_oci_entry *e, struct rctr_error *err)
{
        CLEANUP(image_manifest_clear) struct image_manifest m = {0};
        CLEANUP(image_config_clear) struct image_config cfg = {0};
        cleanup_free char *mdigest = NULL, *name = NULL;
        const struct buf *body = NULL, *config;
        struct loaded *img = NULL;
        int r = oci_manifest(l, e, &body, &mdigest, &m, err);

        if (r >= 0 && e->name)
                r = image_oci_ref_normalize(e->name, &name, err);
        if (r < 0)
                return r;
        /* the same image under another name: one more name */
        for (size_t i = 0; i < l->n_imgs; i++)
                if (streq(l->imgs[i].manifest_digest, mdigest)) {
                        if (name)
                                strv_add(&l->imgs[i].names, TAKE_PTR(name));
                        return 0;
                }
        config = need_blob(l, m.config.digest, err);
        if (!config)
                return rctr_error_prefix(err, "config");
        img = new_image(l);
        img->manifest_digest = TAKE_PTR(mdigest);
        img->manifest = body;
        img->digest = xstrdup(e->digest);
        if (name)
                strv_add(&img->names, TAKE_PTR(name));
        r = take_config(img, config, m.n_entries, &cfg, err);
        if (r >= 0)
                r = plan_oci_layers(l, img, &m, cfg.diff_ids, err);
        return r;
}

static int plan_oci(struct load *l, const struct buf *text, struct rctr_error *err)
{
        CLEANUP(image_oci_index_clear) struct image_oci_index idx = {0};
        int r = image_oci_index_parse(text->data, text->len, &idx, err);

        for (size_t i = 0; r >= 0 && i < idx.n; i++) {
                r = plan_oci_entry(l, &idx.v[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "%s: manifests[%zu]", IMAGE_OCI_INDEX, i);
        }
        return r;
}

/* A member that a job waits for: stream it into a new layer writer and verify it. */
static int scan_member(void *ctx, const char *name, uint64_t size, struct image_archive_member *m,
                       struct rctr_error *err)
{
        struct load *l = ctx;
        struct job *j = NULL;
        struct storage_layer_expect e;
        cleanup_free char *shown = NULL;
        int r;

        (void)size;
        for (size_t i = 0; !j && i < l->n_jobs; i++)
                if (!l->jobs[i].w && streq(l->jobs[i].member, name))
                        j = &l->jobs[i];
        if (!j)
                return 0;
        e = (struct storage_layer_expect){.digest = j->digest,
                                          .diff_id = j->diff_id,
                                          .size = j->size,
                                          .chain_id = j->chain_id,
                                          .compression = j->compression};
        r = storage_layer_writer_new(l->s, &e, l->o->unpack, &j->w, err);
        for (ssize_t n = 1; r >= 0 && n > 0;) {
                n = image_archive_member_read(m, l->buf, COPY_CHUNK, err);
                r = n < 0   ? (int)n
                    : n > 0 ? storage_layer_writer_write(j->w, l->buf, (size_t)n, err)
                            : storage_layer_writer_end(j->w, err);
        }
        if (r < 0) {
                shown = storage_layer_path_escape(name);
                return rctr_error_prefix(err, "archive member %s", shown);
        }
        if (l->o->progress) {
                fprintf(l->o->progress, "Copying blob %.12s done\n",
                        (j->digest ? j->digest : j->diff_id) + 7);
                fflush(l->o->progress);
        }
        return 0;
}

/*
 * Read the archive once more for the layers; again when one member serves two layers (the
 * same tar on different parents).
 */
static int run_jobs(struct load *l, struct rctr_error *err)
{
        size_t before = SIZE_MAX;

        for (;;) {
                const struct job *first = NULL;
                size_t pending = 0;
                int r;

                for (size_t i = 0; i < l->n_jobs; i++)
                        if (!l->jobs[i].w && pending++ == 0)
                                first = &l->jobs[i];
                if (pending == 0)
                        return 0;
                /* the first pass listed it: only a file changed under us gets here */
                if (pending == before) {
                        cleanup_free char *shown = storage_layer_path_escape(first->member);

                        return rctr_error_set(err, EBADMSG,
                                              "read the archive: member %s is gone (the file "
                                              "changed while it was read)",
                                              shown);
                }
                before = pending;
                r = image_archive_reader_scan(l->r, scan_member, l, err);
                if (r < 0)
                        return r;
        }
}

/* docker-archive images get a manifest of their uncompressed layers, as they were stored. */
static int docker_manifest(struct load *l, struct loaded *img, char **ret_text,
                           struct rctr_error *err)
{
        size_t n = strv_len(img->chain_ids);
        const char **mts = xzalloc((n + 1) * sizeof(char *));
        cleanup_strv char **digests = xzalloc((n + 1) * sizeof(char *));
        cleanup_free uint64_t *sizes = xzalloc((n + 1) * sizeof(uint64_t));
        json_auto_t *m = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                mts[i] = IMAGE_MT_OCI_LAYER;
                r = storage_layer_info(l->s, img->chain_ids[i], &digests[i], &sizes[i], err);
        }
        if (r >= 0) {
                m = image_oci_manifest_new(img->id, img->cfg->len, n, mts, digests, sizes);
                *ret_text = json_dumps(m, JSON_COMPACT);
                if (!*ret_text)
                        xalloc_die();
        }
        free(mts);
        return r;
}

/* Each image's config and manifest by digest, for inspect and save. */
static int store_documents(struct load *l, struct loaded *img, struct rctr_error *err)
{
        cleanup_free char *text = NULL;
        int r = storage_blob_put(l->s, img->id, img->cfg->data, img->cfg->len, err);

        if (r < 0 || img->manifest)
                return r < 0 ? r
                             : storage_blob_put(l->s, img->manifest_digest, img->manifest->data,
                                                img->manifest->len, err);
        r = docker_manifest(l, img, &text, err);
        if (r < 0)
                return r;
        img->manifest_digest = digest_sha256_of(text, strlen(text));
        img->digest = xstrdup(img->manifest_digest);
        return storage_blob_put(l->s, img->manifest_digest, text, strlen(text), err);
}

static int finish(struct load *l, char ***ret_loaded, struct rctr_error *err)
{
        struct image_record *recs = xzalloc((l->n_imgs + 1) * sizeof(*recs));
        char **loaded = xzalloc(sizeof(char *));
        int r = 0;

        for (size_t i = 0; r >= 0 && i < l->n_jobs; i++)
                r = storage_layer_writer_commit(l->jobs[i].w, l->jobs[i].chain_id, err);
        for (size_t i = 0; r >= 0 && i < l->n_imgs; i++) {
                struct loaded *img = &l->imgs[i];

                r = store_documents(l, img, err);
                recs[i] = (struct image_record){.id = img->id,
                                                .names = img->names,
                                                .digest = img->digest,
                                                .manifest = img->manifest_digest,
                                                .created = img->created,
                                                .chain_ids = img->chain_ids};
                for (char **n = img->names; *n; n++)
                        strv_add(&loaded, xstrdup(*n));
                if (!img->names[0])
                        strv_add(&loaded, xstrdup(img->id));
        }
        if (r >= 0 && l->o->progress)
                fprintf(l->o->progress, "Writing manifest to image destination\n");
        if (r >= 0)
                r = image_record_add(l->s, recs, l->n_imgs, err);
        free(recs);
        if (r < 0) {
                strv_free(loaded);
                return r;
        }
        *ret_loaded = loaded;
        return 0;
}

int image_load(struct storage_store *s, int fd, const struct image_load_opts *o, char ***ret_loaded,
               struct rctr_error *err)
{
        CLEANUP(load_clear) struct load l = {.s = s, .o = o, .buf = xmalloc(COPY_CHUNK)};
        cleanup_close int tmpfd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const struct buf *doc;
        int r;

        if (tmpfd < 0)
                return rctr_error_sys(err, errno, "open %s/tmp", s->path);
        r = image_archive_reader_open(fd, tmpfd, &l.r, err);
        if (r < 0)
                return r;
        if ((doc = image_archive_reader_json(l.r, IMAGE_DOCKER_MANIFEST)))
                r = plan_docker(&l, doc, err);
        else if ((doc = image_archive_reader_json(l.r, IMAGE_OCI_INDEX)))
                r = plan_oci(&l, doc, err);
        else
                r = rctr_error_set(err, EBADMSG,
                                   "not a docker-archive or oci-archive: no %s or %s in it",
                                   IMAGE_DOCKER_MANIFEST, IMAGE_OCI_INDEX);
        if (r >= 0)
                r = run_jobs(&l, err);
        if (r >= 0)
                r = finish(&l, ret_loaded, err);
        return r;
}
