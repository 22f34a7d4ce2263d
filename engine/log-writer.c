#include <config.h>
#include "engine/log-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* Records are gathered here and written together: one write(2) per 64 KiB, not per line. */
#define OUT_SIZE (64 * 1024)
/* Timestamp, " stdout ", tag, ' ', '\n'. */
#define RECORD_OVERHEAD (ENGINE_LOG_TIME_LEN + 8 + 2 + 1)

struct pending {
        size_t len;
        char data[ENGINE_LOG_LINE_MAX]; /* the start of a line whose newline has not come */
};

struct engine_log_writer {
        int fd;            /* owned */
        bool torn;         /* the file may end inside a record: start the next on a new line */
        uint64_t size;     /* bytes in the file as far as we know (for size_max) */
        uint64_t size_max; /* 0 = no cap */
        int64_t stamp_sec; /* the second stamp was formatted for */
        char stamp[ENGINE_LOG_TIME_LEN + 1];
        size_t out_len;
        struct pending pending[ENGINE_LOG_N_STREAMS];
        char out[OUT_SIZE];
};

struct engine_log_writer *engine_log_writer_open(int dirfd, const char *name,
                                                 struct rctr_error *err)
{
        CLEANUP(engine_log_writer_freep) struct engine_log_writer *w = NULL;
        cleanup_close int fd = -1;
        struct stat st;
        char last;

        /*
         * O_NONBLOCK: if something other than our regular file sits at name, a FIFO must not
         * hang the monitor in open(); it is refused below. It changes nothing for a regular
         * file. O_RDWR only to look at the last byte.
         */
        fd = openat(dirfd, name,
                    O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
                    0600);
        if (fd < 0) {
                rctr_error_sys(err, errno, "open container log %s", name);
                return NULL;
        }
        if (fstat(fd, &st) < 0) {
                rctr_error_sys(err, errno, "stat container log %s", name);
                return NULL;
        }
        if (!S_ISREG(st.st_mode)) {
                rctr_error_set(err, EINVAL, "open container log %s: not a regular file", name);
                return NULL;
        }

        w = xzalloc(sizeof(*w));
        w->fd = -1;
        w->size = (uint64_t)st.st_size;
        w->stamp_sec = -1;
        /* A writer killed mid-record left a torn last line: do not glue our first record to it. */
        if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
                w->torn = true;
        w->fd = TAKE_FD(fd);
        return TAKE_PTR(w);
}

void engine_log_writer_set_size_max(struct engine_log_writer *w, uint64_t size_max)
{
        w->size_max = size_max;
}

bool engine_log_writer_has_partial(const struct engine_log_writer *w)
{
        for (size_t i = 0; i < ENGINE_LOG_N_STREAMS; i++)
                if (w->pending[i].len > 0)
                        return true;
        return false;
}

/* Stamp the records of this call; the date part is formatted once per second. */
static void stamp_now(struct engine_log_writer *w)
{
        struct timespec ts;
        int64_t nsec;

        (void)clock_gettime(CLOCK_REALTIME, &ts); /* cannot fail for CLOCK_REALTIME */
        if (ts.tv_sec != w->stamp_sec) {
                engine_log_format_time((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, w->stamp);
                w->stamp_sec = ts.tv_sec;
                return;
        }
        nsec = ts.tv_nsec;
        for (int i = 28; i >= 20; i--) { /* the nine digits after "YYYY-MM-DDTHH:MM:SS." */
                w->stamp[i] = (char)('0' + nsec % 10);
                nsec /= 10;
        }
}

/* write(2) all of data, keeping size and torn true to the file. */
static int write_tracked(struct engine_log_writer *w, const char *data, size_t len)
{
        size_t done = 0;

        while (done < len) {
                ssize_t n = write(w->fd, data + done, len - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EIO;

                        if (done > 0)
                                w->torn = true;
                        return -e;
                }
                done += (size_t)n;
                w->size += (uint64_t)n;
        }
        return 0;
}

static int flush_out(struct engine_log_writer *w, struct rctr_error *err)
{
        size_t len = w->out_len;
        int r;

        if (len == 0)
                return 0;
        w->out_len = 0; /* written or lost: never written twice */
        if (w->size_max > 0 && w->size > 0 && w->size + len + w->torn > w->size_max) {
                /* conmon's --log-size-max: start the file over rather than grow past the cap. */
                if (ftruncate(w->fd, 0) < 0)
                        return rctr_error_sys(err, errno, "truncate container log at its size cap");
                w->size = 0;
                w->torn = false;
        }
        if (w->torn) {
                r = write_tracked(w, "\n", 1);
                if (r < 0)
                        return rctr_error_sys(err, -r, "write container log");
                w->torn = false;
        }
        r = write_tracked(w, w->out, len);
        if (r < 0)
                return rctr_error_sys(err, -r, "write container log");
        return 0;
}

/* Queue one record whose content is a followed by b. */
static int emit(struct engine_log_writer *w, enum engine_log_stream stream, bool partial,
                const char *a, size_t alen, const char *b, size_t blen, struct rctr_error *err)
{
        char *p;
        int r;

        if (w->out_len + RECORD_OVERHEAD + alen + blen > OUT_SIZE) {
                r = flush_out(w, err);
                if (r < 0)
                        return r;
        }
        p = w->out + w->out_len;
        memcpy(p, w->stamp, ENGINE_LOG_TIME_LEN);
        p += ENGINE_LOG_TIME_LEN;
        memcpy(p, stream == ENGINE_LOG_STDERR ? " stderr " : " stdout ", 8);
        p += 8;
        *p++ = partial ? 'P' : 'F';
        *p++ = ' ';
        memcpy(p, a, alen);
        p += alen;
        memcpy(p, b, blen);
        p += blen;
        *p++ = '\n';
        w->out_len = (size_t)(p - w->out);
        return 0;
}

/* A piece of a line without '\n'; eol: the line ends after it. */
static int write_segment(struct engine_log_writer *w, enum engine_log_stream stream,
                         const char *data, size_t len, bool eol, struct rctr_error *err)
{
        struct pending *pd = &w->pending[stream];
        int r;

        while (pd->len + len > ENGINE_LOG_LINE_MAX) {
                size_t take = ENGINE_LOG_LINE_MAX - pd->len;

                r = emit(w, stream, true, pd->data, pd->len, data, take, err);
                if (r < 0)
                        return r;
                pd->len = 0;
                data += take;
                len -= take;
        }
        if (eol) {
                r = emit(w, stream, false, pd->data, pd->len, data, len, err);
                pd->len = 0;
                return r;
        }
        memcpy(pd->data + pd->len, data, len);
        pd->len += len;
        return 0;
}

int engine_log_write(struct engine_log_writer *w, enum engine_log_stream stream, const char *data,
                     size_t len, struct rctr_error *err)
{
        int r = 0;

        if ((unsigned)stream >= ENGINE_LOG_N_STREAMS)
                return rctr_error_set(err, EINVAL, "write container log: unknown stream %d",
                                      (int)stream);
        stamp_now(w);
        while (len > 0 && r >= 0) {
                const char *nl = memchr(data, '\n', len);
                size_t seg = nl ? (size_t)(nl - data) : len, used = seg + (nl != NULL);

                r = write_segment(w, stream, data, seg, nl != NULL, err);
                data += used;
                len -= used;
        }
        if (r >= 0)
                r = flush_out(w, err);
        if (r < 0)
                w->pending[stream].len = 0; /* its line is broken anyway; don't glue the next */
        return r;
}

int engine_log_writer_flush(struct engine_log_writer *w, struct rctr_error *err)
{
        int r = 0;

        stamp_now(w);
        for (size_t i = 0; i < ENGINE_LOG_N_STREAMS && r >= 0; i++) {
                struct pending *pd = &w->pending[i];

                if (pd->len == 0)
                        continue;
                r = emit(w, (enum engine_log_stream)i, true, pd->data, pd->len, "", 0, err);
                pd->len = 0;
        }
        if (r >= 0)
                r = flush_out(w, err);
        return r;
}

int engine_log_writer_close(struct engine_log_writer *w, struct rctr_error *err)
{
        int r;

        if (!w)
                return 0;
        r = engine_log_writer_flush(w, err);
        engine_log_writer_free(w);
        return r;
}

void engine_log_writer_free(struct engine_log_writer *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                close_nointr(w->fd);
        free(w);
}
