#include <config.h>
#include "engine/log-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* Forward reads fill a buffer that holds the longest record we accept. */
#define BUF_SIZE ENGINE_LOG_RECORD_MAX
/* --tail reads the file backwards in blocks of this size. */
#define TAIL_BLOCK (64 * 1024)
/* Enough bytes of a record to parse its header (timestamp with offset, stream, tag). */
#define HEADER_PEEK     64
#define DEFAULT_POLL_MS 250
#define MIN(a, b)       ((a) < (b) ? (a) : (b))

struct stream_state {
        struct buf line;   /* the joined line so far (P records) */
        int64_t ts_ns;     /* its first record's timestamp */
        bool started;      /* a line is being joined */
        bool show;         /* it passes since/until */
        bool continued;    /* a piece of it was handed over already (line_max) */
        bool split;        /* counted in stats.split */
        uint64_t last_off; /* file offset of its last record so far */
};

struct reader {
        int fd; /* owned */
        const struct engine_log_read_options *opts;
        struct engine_log_read_stats stats;
        size_t line_max;
        char *buf;            /* owned, BUF_SIZE: bytes of the file from buf_off */
        size_t len;           /* bytes in buf */
        uint64_t buf_off;     /* file offset of buf[0] */
        uint64_t read_off;    /* where the next read starts */
        bool skipping;        /* discarding an over-long record up to its newline */
        uint64_t drop_before; /* --tail: lines whose last record starts before this are hidden */
        struct stream_state st[ENGINE_LOG_N_STREAMS];
        struct buf text; /* what line_fn gets as text */
};

static void reader_clear(struct reader *r)
{
        if (r->fd >= 0)
                close_nointr(r->fd);
        r->fd = -1;
        free(r->buf);
        r->buf = NULL;
        for (size_t i = 0; i < ENGINE_LOG_N_STREAMS; i++)
                buf_free(&r->st[i].line);
        buf_free(&r->text);
}

static void buf_reset(struct buf *b)
{
        b->len = 0;
        if (b->cap)
                b->data[0] = '\0';
}

static bool in_window(const struct reader *r, int64_t ts_ns)
{
        const struct engine_log_read_options *o = r->opts;

        return (!o->has_since || ts_ns >= o->since_ns) && (!o->has_until || ts_ns <= o->until_ns);
}

/* Hand content over as (a piece of) s's line; keep: it is not hidden by --tail. */
static int hand_over(struct reader *r, enum engine_log_stream stream, const char *content,
                     size_t len, bool newline, bool keep, struct rctr_error *err)
{
        struct stream_state *s = &r->st[stream];
        struct engine_log_line line;
        char stamp[ENGINE_LOG_TIME_LEN + 1];
        bool continued = s->continued;

        s->continued = !newline;
        if (!keep || !s->show)
                return 0;
        buf_reset(&r->text);
        if (r->opts->timestamps && !continued) {
                engine_log_format_time(s->ts_ns, stamp);
                (void)buf_append(&r->text, stamp, ENGINE_LOG_TIME_LEN); /* no cap: cannot fail */
                (void)buf_append(&r->text, " ", 1);
        }
        (void)buf_append(&r->text, content, len);
        if (newline)
                (void)buf_append(&r->text, "\n", 1);
        line = (struct engine_log_line){
                .stream = stream,
                .ts_ns = s->ts_ns,
                .content = content,
                .content_len = len,
                .text = r->text.data,
                .text_len = r->text.len,
                .newline = newline,
                .continued = continued,
        };
        r->stats.lines++;
        return r->opts->line_fn(r->opts->userdata, &line, err);
}

/* s's line is complete: hand it over and start the next. */
static int end_line(struct reader *r, enum engine_log_stream stream, const char *content,
                    size_t len, bool keep, struct rctr_error *err)
{
        struct stream_state *s = &r->st[stream];
        int rc;

        rc = hand_over(r, stream, content, len, true, keep, err);
        buf_reset(&s->line);
        s->started = s->continued = s->split = false;
        return rc;
}

static int handle_record(struct reader *r, const char *text, size_t len, uint64_t off,
                         struct rctr_error *err)
{
        struct engine_log_record rec;
        struct stream_state *s;
        bool keep = off >= r->drop_before;
        int rc;

        if (engine_log_parse_record(text, len, &rec) < 0) {
                r->stats.malformed++;
                return 0;
        }
        s = &r->st[rec.stream];
        s->last_off = off;
        if (!s->started) {
                s->started = true;
                s->ts_ns = rec.ts_ns;
                s->show = in_window(r, rec.ts_ns);
                /* The common case, a whole line in one record, goes out without a copy. */
                if (!rec.partial && rec.content_len <= r->line_max)
                        return end_line(r, rec.stream, rec.content, rec.content_len, keep, err);
        }
        while (s->line.len + rec.content_len > r->line_max) {
                size_t take = r->line_max - s->line.len;

                (void)buf_append(&s->line, rec.content, take);
                rec.content += take;
                rec.content_len -= take;
                r->stats.split += !s->split;
                s->split = true;
                /*
                 * Before --tail's boundary we cannot know yet whether this line ends inside the
                 * tail; hiding the piece keeps lines outside it from showing.
                 */
                rc = hand_over(r, rec.stream, s->line.data, s->line.len, false, keep, err);
                buf_reset(&s->line);
                if (rc < 0)
                        return rc;
        }
        (void)buf_append(&s->line, rec.content, rec.content_len);
        if (rec.partial)
                return 0;
        return end_line(r, rec.stream, s->line.data, s->line.len, keep, err);
}

/* Handle the whole records in buf and keep the unfinished rest at its start. */
static int process_buffer(struct reader *r, struct rctr_error *err)
{
        char *p = r->buf, *end = r->buf + r->len;
        size_t used;
        int rc;

        while (p < end) {
                char *nl = memchr(p, '\n', (size_t)(end - p));

                if (!nl)
                        break;
                if (r->skipping) {
                        r->skipping = false;
                } else {
                        rc = handle_record(r, p, (size_t)(nl - p),
                                           r->buf_off + (uint64_t)(p - r->buf), err);
                        if (rc < 0)
                                return rc;
                }
                p = nl + 1;
        }
        used = (size_t)(p - r->buf);
        if (r->skipping || (used == 0 && r->len == BUF_SIZE)) {
                /* No newline in a full buffer: skip the record, however long it is. */
                r->stats.malformed += !r->skipping;
                r->skipping = true;
                used = r->len;
        }
        memmove(r->buf, r->buf + used, r->len - used);
        r->len -= used;
        r->buf_off += used;
        return 0;
}

static int read_to_eof(struct reader *r, struct rctr_error *err)
{
        for (;;) {
                ssize_t n = pread(r->fd, r->buf + r->len, BUF_SIZE - r->len, (off_t)r->read_off);
                int rc;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return rctr_error_sys(err, errno, "read container log");
                if (n == 0)
                        return 0;
                r->read_off += (uint64_t)n;
                r->len += (size_t)n;
                rc = process_buffer(r, err);
                if (rc < 0)
                        return rc;
        }
}

/* End of the log: a torn last record, then the lines the log ends inside, oldest first. */
static int finish(struct reader *r, struct rctr_error *err)
{
        int rc;

        if (r->len > 0 && !r->skipping) {
                rc = handle_record(r, r->buf, r->len, r->buf_off, err);
                if (rc < 0)
                        return rc;
        }
        r->len = 0;
        for (;;) {
                struct stream_state *first = NULL;
                enum engine_log_stream stream = ENGINE_LOG_STDOUT;

                for (size_t i = 0; i < ENGINE_LOG_N_STREAMS; i++)
                        if (r->st[i].started && (!first || r->st[i].ts_ns < first->ts_ns)) {
                                first = &r->st[i];
                                stream = (enum engine_log_stream)i;
                        }
                if (!first)
                        return 0;
                first->started = false;
                rc = hand_over(r, stream, first->line.data, first->line.len, false,
                               first->last_off >= r->drop_before, err);
                buf_reset(&first->line);
                if (rc < 0)
                        return rc;
        }
}

/* The part of the file --tail reads backwards: [off, off + len). */
struct block {
        char *data; /* borrowed: the reader's buffer */
        uint64_t off;
        size_t len;
};

static int pread_all(int fd, char *data, size_t len, uint64_t off, struct rctr_error *err)
{
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, data + done, len - done, (off_t)(off + done));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return rctr_error_sys(err, errno, "read container log");
                if (n == 0)
                        break; /* shrank under us: what is left reads as zeros, then malformed */
                done += (size_t)n;
        }
        memset(data + done, 0, len - done);
        return 0;
}

/* Offset of the last '\n' before end, or -1 at the start of the file. */
static int newline_before(struct reader *r, struct block *b, uint64_t end, int64_t *ret,
                          struct rctr_error *err)
{
        for (;;) {
                uint64_t new_end;
                int rc;

                if (end > b->off) {
                        char *q = memrchr(b->data, '\n', (size_t)(end - b->off));

                        if (q) {
                                *ret = (int64_t)(b->off + (uint64_t)(q - b->data));
                                return 0;
                        }
                }
                if (b->off == 0) {
                        *ret = -1;
                        return 0;
                }
                new_end = b->off;
                b->off = new_end > TAIL_BLOCK ? new_end - TAIL_BLOCK : 0;
                b->len = (size_t)(new_end - b->off);
                rc = pread_all(r->fd, b->data, b->len, b->off, err);
                if (rc < 0)
                        return rc;
                end = new_end;
        }
}

/* Parse the header of the record at [start, end). */
static int peek_record(struct reader *r, const struct block *b, uint64_t start, uint64_t end,
                       struct engine_log_record *ret, struct rctr_error *err)
{
        size_t n = (size_t)MIN(end - start, (uint64_t)HEADER_PEEK);
        char hdr[HEADER_PEEK];
        const char *p;
        int rc;

        if (start >= b->off && start + n <= b->off + b->len) {
                p = b->data + (start - b->off);
        } else {
                rc = pread_all(r->fd, hdr, n, start, err);
                if (rc < 0)
                        return rc;
                p = hdr;
        }
        return engine_log_parse_record(p, n, ret) < 0 ? 0 : 1;
}

/*
 * --tail n: walk the records backwards from the end. A line is the F record that ends it (or
 * the P record the log ends inside) with the P records of its stream before it. Count n lines
 * and take in the P records that start them; *ret_start is where forward reading begins, and
 * lines ending before *ret_drop (those of other streams interleaved there) stay hidden.
 */
static int tail_find(struct reader *r, uint64_t size, uint64_t n, uint64_t *ret_start,
                     uint64_t *ret_drop, struct rctr_error *err)
{
        struct block b = {.data = r->buf, .off = size, .len = 0};
        bool in_line[ENGINE_LOG_N_STREAMS] = {false};
        uint64_t count = 0, start = size, drop = 0, end = size;
        int64_t nl;
        int rc;

        if (n == 0 || size == 0) {
                *ret_start = size;
                *ret_drop = 0;
                return 0;
        }
        rc = newline_before(r, &b, size, &nl, err);
        if (rc < 0)
                return rc;
        if (nl == (int64_t)size - 1) /* the last record's newline */
                end = size - 1;
        for (;;) {
                struct engine_log_record rec;
                uint64_t rec_start;

                rc = newline_before(r, &b, end, &nl, err);
                if (rc < 0)
                        return rc;
                rec_start = (uint64_t)(nl + 1);
                rc = rec_start < end ? peek_record(r, &b, rec_start, end, &rec, err) : 0;
                if (rc < 0)
                        return rc;
                if (rc > 0 && in_line[rec.stream] && rec.partial) {
                        start = rec_start; /* the line goes on before this record */
                } else if (rc > 0) {
                        in_line[rec.stream] = false;
                        if (count < n) {
                                count++;
                                in_line[rec.stream] = true;
                                start = drop = rec_start;
                        }
                }
                if (nl < 0 ||
                    (count == n && !in_line[ENGINE_LOG_STDOUT] && !in_line[ENGINE_LOG_STDERR]))
                        break;
                end = (uint64_t)nl;
        }
        *ret_start = start;
        *ret_drop = drop;
        return 0;
}

/* Wait until the file changes (inotify) or poll_ms passes. */
static void follow_wait(const struct reader *r, int ifd)
{
        unsigned ms = r->opts->poll_ms ? r->opts->poll_ms : DEFAULT_POLL_MS;
        struct pollfd pfd = {.fd = ifd, .events = POLLIN};
        char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

        if (ifd < 0) {
                (void)nanosleep(&ts, NULL); /* an early wake-up only means an early look */
                return;
        }
        if (poll(&pfd, 1, (int)ms) > 0)
                while (read(ifd, events, sizeof(events)) > 0) /* drain: we only need "changed" */
                        ;
}

/*
 * Watch the open file itself (through /proc/self/fd, so a rename of the log does not matter).
 * Any failure (no /proc, inotify limits) falls back to polling: returns -1.
 */
static int follow_watch(int fd)
{
        cleanup_free char *path = xasprintf("/proc/self/fd/%d", fd);
        cleanup_close int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

        if (ifd < 0 || inotify_add_watch(ifd, path, IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE) < 0)
                return -1;
        return TAKE_FD(ifd);
}

static bool follow_done(const struct reader *r)
{
        const struct engine_log_read_options *o = r->opts;
        struct timespec now;

        if (o->exited && o->exited(o->userdata))
                return true;
        if (!o->has_until)
                return false;
        (void)clock_gettime(CLOCK_REALTIME, &now);
        return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec > o->until_ns;
}

/* The writer's size cap truncated the file: start again at its beginning. */
static void restart_if_shrunk(struct reader *r)
{
        struct stat st;

        if (fstat(r->fd, &st) < 0 || (uint64_t)st.st_size >= r->read_off)
                return;
        r->stats.restarts++;
        r->len = 0;
        r->buf_off = r->read_off = 0;
        r->skipping = false;
        r->drop_before = 0;
        for (size_t i = 0; i < ENGINE_LOG_N_STREAMS; i++) {
                buf_reset(&r->st[i].line);
                r->st[i].started = r->st[i].continued = r->st[i].split = false;
        }
}

static int follow(struct reader *r, struct rctr_error *err)
{
        cleanup_close int ifd = follow_watch(r->fd);
        int rc;

        for (;;) {
                /* Ask first, then read: what was written before the exit is still read. */
                bool done = follow_done(r);

                rc = read_to_eof(r, err);
                if (rc < 0 || done)
                        return rc;
                follow_wait(r, ifd);
                restart_if_shrunk(r);
        }
}

int engine_log_read(int dirfd, const char *name, const struct engine_log_read_options *opts,
                    struct engine_log_read_stats *ret_stats, struct rctr_error *err)
{
        CLEANUP(reader_clear) struct reader r = {.fd = -1, .opts = opts};
        struct stat st;
        uint64_t start = 0;
        int rc;

        r.line_max = opts->line_max ? opts->line_max : ENGINE_LOG_READ_LINE_MAX;
        buf_init(&r.text, 0);
        for (size_t i = 0; i < ENGINE_LOG_N_STREAMS; i++)
                buf_init(&r.st[i].line, 0);
        /* O_NONBLOCK: a FIFO at name must not hang us in open(); it is refused below. */
        r.fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (r.fd < 0)
                return rctr_error_sys(err, errno, "open container log %s", name);
        if (fstat(r.fd, &st) < 0)
                return rctr_error_sys(err, errno, "stat container log %s", name);
        if (!S_ISREG(st.st_mode))
                return rctr_error_set(err, EINVAL, "open container log %s: not a regular file",
                                      name);
        r.buf = xmalloc(BUF_SIZE);
        if (opts->tail >= 0) {
                rc = tail_find(&r, (uint64_t)st.st_size, (uint64_t)opts->tail, &start,
                               &r.drop_before, err);
                if (rc < 0)
                        return rc;
        }
        r.buf_off = r.read_off = start;
        rc = opts->follow ? follow(&r, err) : read_to_eof(&r, err);
        if (rc >= 0)
                rc = finish(&r, err);
        if (rc < 0)
                return rc;
        if (ret_stats)
                *ret_stats = r.stats;
        return 0;
}

int engine_log_sink_fds(void *userdata, const struct engine_log_line *line, struct rctr_error *err)
{
        const struct engine_log_fds *fds = userdata;
        int fd = line->stream == ENGINE_LOG_STDERR ? fds->err_fd : fds->out_fd;
        int rc;

        rc = fs_write_all(fd, line->text, line->text_len);
        if (rc < 0)
                return rctr_error_sys(err, -rc, "write container %s",
                                      engine_log_stream_name(line->stream));
        return 0;
}
