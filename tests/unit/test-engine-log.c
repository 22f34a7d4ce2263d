#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/log-format.h"
#include "engine/log-reader.h"
#include "engine/log-writer.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

#define NS 1000000000LL

static int dirfd_ = -1;

/* ---- helpers ---- */

static int64_t ts(const char *text)
{
        int64_t ns = 0;

        if (engine_log_parse_timestamp(text, strlen(text), &ns) < 0)
                abort();
        return ns;
}

static void put_file(const char *name, const char *text)
{
        struct rctr_error err = {0};

        (void)unlinkat(dirfd_, name, 0);
        if (fs_write_atomic_at(dirfd_, name, text, strlen(text), 0600, &err) < 0)
                abort();
}

static char *get_file(const char *name)
{
        struct rctr_error err = {0};
        struct buf b;

        buf_init(&b, 0);
        if (fs_read_at(dirfd_, name, &b, &err) < 0)
                abort();
        return buf_detach(&b);
}

/* Records of a file as "stream tag content|..." with the content shortened to its length. */
static char *records_of(const char *name, bool *ret_ts_ok)
{
        cleanup_free char *text = get_file(name);
        struct buf out;
        char *line = text, *nl;
        int64_t last = 0;

        buf_init(&out, 0);
        *ret_ts_ok = true;
        for (; (nl = strchr(line, '\n')); line = nl + 1) {
                struct engine_log_record rec;

                if (engine_log_parse_record(line, (size_t)(nl - line), &rec) < 0) {
                        buf_appendf(&out, "BAD|");
                        continue;
                }
                if (line[ENGINE_LOG_TIME_LEN - 1] != 'Z' || line[ENGINE_LOG_TIME_LEN] != ' ' ||
                    rec.ts_ns < last)
                        *ret_ts_ok = false;
                last = rec.ts_ns;
                if (rec.content_len > 20)
                        buf_appendf(&out, "%s %c <%zu>|", engine_log_stream_name(rec.stream),
                                    rec.partial ? 'P' : 'F', rec.content_len);
                else
                        buf_appendf(&out, "%s %c %.*s|", engine_log_stream_name(rec.stream),
                                    rec.partial ? 'P' : 'F', (int)rec.content_len, rec.content);
        }
        return buf_detach(&out);
}

struct collect {
        struct buf out;
        bool raw; /* only the text, as a terminal would show it */
};

static int collect_line(void *userdata, const struct engine_log_line *line, struct rctr_error *err)
{
        struct collect *c = userdata;

        if (!c->raw)
                buf_appendf(&c->out, "%c:", line->stream == ENGINE_LOG_STDERR ? 'e' : 'o');
        buf_append(&c->out, line->text, line->text_len);
        return 0;
}

/* Read name with opts (line_fn and userdata filled in) and return what came out. */
static char *read_log(const char *name, struct engine_log_read_options *opts,
                      struct engine_log_read_stats *stats)
{
        struct collect c = {.raw = false};
        struct rctr_error err = {0};
        int r;

        buf_init(&c.out, 0);
        opts->line_fn = collect_line;
        opts->userdata = &c;
        r = engine_log_read(dirfd_, name, opts, stats, &err);
        if (r < 0) {
                printf("# read %s: %s\n", name, err.msg);
                rctr_error_clear(&err);
                buf_free(&c.out);
                return xstrdup("(error)");
        }
        return buf_detach(&c.out);
}

static struct engine_log_read_options all(void)
{
        return (struct engine_log_read_options){.tail = -1};
}

/* ---- format ---- */

static void test_format_time(void)
{
        char out[ENGINE_LOG_TIME_LEN + 1];

        engine_log_format_time(0, out);
        is_str(out, "1970-01-01T00:00:00.000000000Z", "format: the epoch");
        engine_log_format_time(1700000000123456789LL, out);
        is_str(out, "2023-11-14T22:13:20.123456789Z", "format: nanoseconds");
        engine_log_format_time(-1, out);
        is_str(out, "1969-12-31T23:59:59.999999999Z", "format: before the epoch rounds down");
        engine_log_format_time(ts("2024-02-29T23:59:59.5Z"), out);
        is_str(out, "2024-02-29T23:59:59.500000000Z", "format: a leap day");
        engine_log_format_time(ts("2026-12-01T03:04:05.123456789Z"), out);
        is_str(out, "2026-12-01T03:04:05.123456789Z", "format: round trip");
}

static void test_parse_timestamp(void)
{
        static const struct {
                const char *text;
                int64_t want; /* -1: rejected */
        } cases[] = {
                {"2026-12-01T03:04:05Z", 1796094245 * NS},
                {"2026-12-01T03:04:05.123456789Z", 1796094245 * NS + 123456789},
                {"2026-12-01T04:04:05.5+01:00", 1796094245 * NS + 500000000},
                {"2026-11-30T21:34:05-05:30", 1796094245 * NS},
                {"2026-12-01t03:04:05z", 1796094245 * NS},
                {"2026-12-01T03:04:05", -1},             /* records need a zone */
                {"2026-12-01T03:04Z", -1},               /* and seconds */
                {"2026-13-01T03:04:05Z", -1},            /* month */
                {"2026-02-29T03:04:05Z", -1},            /* not a leap year */
                {"2026-12-01T24:00:00Z", -1},            /* hour */
                {"2026-12-01T03:04:05.1234567890Z", -1}, /* ten digits */
                {"2026-12-01T03:04:05.Z", -1},           /* a dot without digits */
                {"2026-12-01T03:04:05Zjunk", -1},
                {"2026-12-01T03:04:05+0100", -1},
                {"9999-12-31T23:59:59Z", -1}, /* past int64 nanoseconds */
                {"", -1},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                int64_t got = -1;
                int r = engine_log_parse_timestamp(cases[i].text, strlen(cases[i].text), &got);

                if (cases[i].want < 0)
                        ok(r < 0, "timestamp \"%s\" is rejected", cases[i].text);
                else
                        ok(r == 0 && got == cases[i].want, "timestamp \"%s\"", cases[i].text);
        }
}

static void test_parse_record(void)
{
        struct engine_log_record rec;
        const char *line;

        line = "2026-12-01T03:04:05.123456789Z stderr P half a line";
        ok(engine_log_parse_record(line, strlen(line), &rec) == 0 &&
                   rec.stream == ENGINE_LOG_STDERR && rec.partial && rec.content_len == 11 &&
                   memcmp(rec.content, "half a line", 11) == 0 &&
                   rec.ts_ns == 1796094245 * NS + 123456789,
           "record: fields");
        line = "2026-12-01T04:04:05.123456789+01:00 stdout F conmon's local time";
        ok(engine_log_parse_record(line, strlen(line), &rec) == 0 && !rec.partial &&
                   rec.ts_ns == 1796094245 * NS + 123456789,
           "record: conmon's local time with an offset");
        line = "2026-12-01T03:04:05Z stdout F ";
        ok(engine_log_parse_record(line, strlen(line), &rec) == 0 && rec.content_len == 0,
           "record: an empty line");
        line = "2026-12-01T03:04:05Z stdout F";
        ok(engine_log_parse_record(line, strlen(line), &rec) == 0 && rec.content_len == 0,
           "record: an empty line without the last space");
        line = "2026-12-01T03:04:05Z stdout F:x  two spaces";
        ok(engine_log_parse_record(line, strlen(line), &rec) == 0 && rec.content_len == 11 &&
                   rec.content[0] == ' ',
           "record: extra CRI tags are skipped, content kept verbatim");
        line = "2026-12-01T03:04:05Z stdin F x";
        ok(engine_log_parse_record(line, strlen(line), &rec) == -EBADMSG, "record: bad stream");
        line = "2026-12-01T03:04:05Z stdout X x";
        ok(engine_log_parse_record(line, strlen(line), &rec) == -EBADMSG, "record: bad tag");
        line = "2026-12-01T03:04:05Z stdout Fx";
        ok(engine_log_parse_record(line, strlen(line), &rec) == -EBADMSG, "record: tag run-on");
        line = "yesterday stdout F x";
        ok(engine_log_parse_record(line, strlen(line), &rec) == -EBADMSG, "record: bad time");
        ok(engine_log_parse_record("", 0, &rec) == -EBADMSG, "record: empty");
}

static void test_parse_time(void)
{
        const int64_t now = 1796094245 * NS; /* 2026-12-01T03:04:05Z */
        static const struct {
                const char *text;
                int64_t before_now; /* expected now - result, when rel */
                int64_t abs;        /* expected result otherwise */
                bool rel;
        } good[] = {
                {"10m", 600 * NS, 0, true},
                {"1h30m", 5400 * NS, 0, true},
                {"90s", 90 * NS, 0, true},
                {"1.5h", 5400 * NS, 0, true},
                {"250ms", 250000000, 0, true},
                {"2h45m30.5s", 9930 * NS + NS / 2, 0, true},
                {"0s", 0, 0, true},
                {"2026-12-01T03:04:05Z", 0, 1796094245 * NS, false},
                {"2026-12-01T03:04:05.5+01:00", 0, 1796090645 * NS + NS / 2, false},
                {"1700000000", 0, 1700000000 * NS, false},
                {"1700000000.25", 0, 1700000000 * NS + NS / 4, false},
                {"2026-12-01", 0, 1796083200 * NS, false},          /* local = UTC here */
                {"2026-12-01T03:04", 0, 1796094240 * NS, false},    /* local = UTC here */
                {"2026-12-01 03:04:05", 0, 1796094245 * NS, false}, /* local = UTC here */
        };
        static const struct {
                const char *text;
                const char *msg;
        } bad[] = {
                {"", "invalid time \"\": expected an RFC 3339 time (2026-12-01T03:04:05Z), unix "
                     "seconds (1700000000) or a duration before now (10m, 1h30m)"},
                {"yesterday", "invalid time \"yesterday\": expected an RFC 3339 time "
                              "(2026-12-01T03:04:05Z), unix seconds (1700000000) or a duration "
                              "before now (10m, 1h30m)"},
                {"-5m", "invalid time \"-5m\": expected an RFC 3339 time (2026-12-01T03:04:05Z), "
                        "unix seconds (1700000000) or a duration before now (10m, 1h30m)"},
                {"1d", "invalid duration \"1d\": unknown unit \"d\" (use ns, us, ms, s, m, h)"},
                {"10x5m", "invalid duration \"10x5m\": unknown unit \"x\" (use ns, us, ms, s, m, "
                          "h)"},
                {"1h30", "invalid duration \"1h30\": a number needs a unit (ns, us, ms, s, m, h)"},
                {"h", "invalid time \"h\": expected an RFC 3339 time (2026-12-01T03:04:05Z), unix "
                      "seconds (1700000000) or a duration before now (10m, 1h30m)"},
                {"99999999999h", "invalid duration \"99999999999h\": too large"},
                {"1.2.3", "invalid duration \"1.2.3\": a number needs a unit (ns, us, ms, s, m, "
                          "h)"},
                {"99999999999999999999", "invalid time \"99999999999999999999\": unix seconds out "
                                         "of range"},
                {"2026-13-01T03:04:05Z", "invalid time \"2026-13-01T03:04:05Z\": not an RFC 3339 "
                                         "time (2026-12-01T03:04:05Z, "
                                         "2026-12-01T03:04:05.5+01:00)"},
                {"2026-12-01T03:04:05+1", "invalid time \"2026-12-01T03:04:05+1\": not an RFC "
                                          "3339 time (2026-12-01T03:04:05Z, "
                                          "2026-12-01T03:04:05.5+01:00)"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                struct rctr_error err = {0};
                int64_t got = 0, want = good[i].rel ? now - good[i].before_now : good[i].abs;
                int r = engine_log_parse_time(good[i].text, now, &got, &err);

                ok(r == 0 && got == want, "time \"%s\" (got %lld, want %lld%s%s)", good[i].text,
                   (long long)got, (long long)want, err.msg ? ": " : "", err.msg ? err.msg : "");
                rctr_error_clear(&err);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct rctr_error err = {0};
                int64_t got = 42;
                int r = engine_log_parse_time(bad[i].text, now, &got, &err);

                ok(r == -EINVAL && err.code == EINVAL && got == 42, "time \"%s\" is EINVAL",
                   bad[i].text);
                is_str(err.msg, bad[i].msg, "time \"%s\": message", bad[i].text);
                rctr_error_clear(&err);
        }
}

/* ---- writer ---- */

static struct engine_log_writer *open_writer(const char *name)
{
        struct rctr_error err = {0};
        struct engine_log_writer *w = engine_log_writer_open(dirfd_, name, &err);

        if (!w) {
                printf("Bail out! open writer %s: %s\n", name, err.msg);
                exit(1);
        }
        return w;
}

static int write_str(struct engine_log_writer *w, enum engine_log_stream s, const char *text)
{
        struct rctr_error err = {0};
        int r = engine_log_write(w, s, text, strlen(text), &err);

        rctr_error_clear(&err);
        return r;
}

static void test_writer(void)
{
        struct engine_log_writer *w = open_writer("w.log");
        struct rctr_error err = {0};
        cleanup_free char *big = xmalloc(40001);
        cleanup_free char *exact = xmalloc(ENGINE_LOG_LINE_MAX + 2);
        cleanup_free char *recs = NULL;
        struct stat st;
        bool ts_ok;
        int r = 0;

        memset(big, 'x', 40000);
        big[40000] = '\0';
        memset(exact, 'y', ENGINE_LOG_LINE_MAX);
        memcpy(exact + ENGINE_LOG_LINE_MAX, "\n", 2);
        r |= write_str(w, ENGINE_LOG_STDOUT, "hello\nwor");
        r |= write_str(w, ENGINE_LOG_STDERR, "err1\n");
        r |= write_str(w, ENGINE_LOG_STDOUT, "ld\n\n");
        r |= write_str(w, ENGINE_LOG_STDOUT, big);
        r |= write_str(w, ENGINE_LOG_STDOUT, "\n");
        r |= write_str(w, ENGINE_LOG_STDERR, exact);
        r |= write_str(w, ENGINE_LOG_STDOUT, "prompt> ");
        ok(r == 0, "writes succeed");
        ok(engine_log_writer_has_partial(w), "a prompt without newline stays buffered");
        recs = records_of("w.log", &ts_ok);
        is_str(recs,
               "stdout F hello|stderr F err1|stdout F world|stdout F |stdout P <16384>|"
               "stdout P <16384>|stdout F <7232>|stderr F <16384>|",
               "records: lines joined, a long line split at the maximum, the prompt held back");
        ok(engine_log_writer_close(w, &err) == 0, "close flushes");
        free(recs);
        recs = records_of("w.log", &ts_ok);
        ok(strstr(recs, "stderr F <16384>|stdout P prompt> |") != NULL,
           "the flush writes the prompt as a P record");
        ok(ts_ok, "timestamps: UTC, 'Z', fixed width, never going back");
        ok(fstatat(dirfd_, "w.log", &st, 0) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
        rctr_error_clear(&err);
}

static void test_writer_open_errors(void)
{
        struct rctr_error err = {0};

        ok(symlinkat("w.log", dirfd_, "link.log") == 0, "make a symlink");
        ok(engine_log_writer_open(dirfd_, "link.log", &err) == NULL && err.code == ELOOP,
           "a symlink is not followed: %s", err.msg);
        rctr_error_clear(&err);
        ok(mkfifoat(dirfd_, "fifo.log", 0600) == 0, "make a fifo");
        ok(engine_log_writer_open(dirfd_, "fifo.log", &err) == NULL && err.code == EINVAL,
           "a fifo is refused without hanging: %s", err.msg);
        rctr_error_clear(&err);
}

static void test_writer_torn(void)
{
        struct engine_log_writer *w;
        cleanup_free char *recs = NULL;
        bool ts_ok;

        put_file("torn.log", "2026-12-01T03:04:05Z stdout F killed mid-rec");
        w = open_writer("torn.log");
        ok(write_str(w, ENGINE_LOG_STDOUT, "next\n") == 0, "write after a torn record");
        engine_log_writer_free(w);
        recs = records_of("torn.log", &ts_ok);
        is_str(recs, "stdout F killed mid-rec|stdout F next|",
               "the first record starts on a new line");
}

static void test_writer_size_max(void)
{
        struct engine_log_writer *w = open_writer("cap.log");
        cleanup_free char *text = NULL;
        bool under = true;
        struct stat st;
        char line[64];

        engine_log_writer_set_size_max(w, 1000);
        for (int i = 0; i < 100; i++) {
                snprintf(line, sizeof(line), "line %03d\n", i);
                if (write_str(w, ENGINE_LOG_STDOUT, line) < 0 ||
                    fstatat(dirfd_, "cap.log", &st, 0) < 0 || st.st_size > 1000)
                        under = false;
        }
        engine_log_writer_free(w);
        ok(under, "the file never grows past the cap");
        text = get_file("cap.log");
        ok(strlen(text) > 0 && strstr(text, "stdout F line 099\n") &&
                   strstr(text, "line 000") == NULL,
           "the newest lines are kept");
}

/* A write the kernel cuts short (RLIMIT_FSIZE, as a full disk would) is an error, not a hang. */
static void test_writer_write_error(void)
{
        struct engine_log_writer *w = open_writer("full.log");
        struct rctr_error err = {0};
        struct rlimit old, lim;
        cleanup_free char *chunk = xmalloc(20001);
        struct engine_log_read_options o = all();
        struct engine_log_read_stats stats;
        cleanup_free char *got = NULL;
        int r;

        memset(chunk, 'z', 20000);
        chunk[19999] = '\n';
        chunk[20000] = '\0';
        signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 4096;
        setrlimit(RLIMIT_FSIZE, &lim);
        r = engine_log_write(w, ENGINE_LOG_STDOUT, chunk, 20000, &err);
        setrlimit(RLIMIT_FSIZE, &old);
        ok(r == -EFBIG && err.msg && strstr(err.msg, "write container log: "),
           "a short write returns the error: %s", err.msg);
        rctr_error_clear(&err);
        ok(write_str(w, ENGINE_LOG_STDERR, "still logging\n") == 0,
           "the writer stays usable after an error");
        engine_log_writer_free(w);
        got = read_log("full.log", &o, &stats);
        /* The torn record was a P record: its stdout line is left open, at the end. */
        ok(strncmp(got, "e:still logging\no:zzz", 21) == 0 && stats.malformed == 0,
           "the record after the torn one is intact");
}

/* ---- reader ---- */

static const char sample[] = "2026-12-01T03:00:00.000000000Z stdout F one\n"
                             "2026-12-01T03:00:01.000000000Z stdout P tw\n"
                             "2026-12-01T03:00:02.000000000Z stderr F err-a\n"
                             "2026-12-01T03:00:03.000000000Z stdout F o\n"
                             "garbage line\n"
                             "\n"
                             "2026-12-01T04:00:04.5+01:00 stdout F three\n"
                             "2026-12-01T03:00:05.000000000Z stderr P err-\n"
                             "2026-12-01T03:00:06.000000000Z stderr F b\n";

static void test_reader_tail(void)
{
        static const struct {
                int64_t tail;
                const char *want;
        } cases[] = {
                {-1, "o:one\ne:err-a\no:two\no:three\ne:err-b\n"},
                {0, ""},
                {1, "e:err-b\n"},
                {2, "o:three\ne:err-b\n"},
                {3, "o:two\no:three\ne:err-b\n"},
                {4, "e:err-a\no:two\no:three\ne:err-b\n"},
                {100, "o:one\ne:err-a\no:two\no:three\ne:err-b\n"},
        };

        put_file("sample.log", sample);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct engine_log_read_options o = {.tail = cases[i].tail};
                struct engine_log_read_stats stats = {0};
                cleanup_free char *got = read_log("sample.log", &o, &stats);

                is_str(got, cases[i].want, "tail %lld", (long long)cases[i].tail);
                if (cases[i].tail < 0)
                        ok(stats.malformed == 2 && stats.lines == 5,
                           "malformed records are counted (%llu), lines (%llu)",
                           (unsigned long long)stats.malformed, (unsigned long long)stats.lines);
        }
}

static void test_reader_filters(void)
{
        struct engine_log_read_options o = all();
        struct engine_log_read_stats stats;
        char *got;

        put_file("sample.log", sample);
        o.has_since = o.has_until = true;
        o.since_ns = ts("2026-12-01T03:00:01Z");
        o.until_ns = ts("2026-12-01T03:00:04.5Z");
        got = read_log("sample.log", &o, &stats);
        is_str(got, "e:err-a\no:two\no:three\n",
               "since/until: inclusive, on a line's first record");
        free(got);

        o = all();
        o.has_since = true;
        o.since_ns = ts("2026-12-01T03:00:05.000000001Z");
        got = read_log("sample.log", &o, &stats);
        is_str(got, "", "since after the last line's start");
        free(got);

        o = (struct engine_log_read_options){.tail = 2, .timestamps = true};
        got = read_log("sample.log", &o, &stats);
        is_str(got,
               "o:2026-12-01T03:00:04.500000000Z three\n"
               "e:2026-12-01T03:00:05.000000000Z err-b\n",
               "timestamps: normalized to UTC with nanoseconds, the first record's");
        free(got);

        o = (struct engine_log_read_options){.tail = 1, .timestamps = false};
        got = read_log("sample.log", &o, &stats);
        is_str(got, "e:err-b\n", "timestamps off");
        free(got);
}

static void test_reader_ends(void)
{
        struct engine_log_read_options o = all();
        struct engine_log_read_stats stats;
        cleanup_buf struct buf big;
        char *got;

        put_file("end.log", "2026-12-01T03:00:00Z stdout F a\n"
                            "2026-12-01T03:00:01Z stderr P err without newline\n"
                            "2026-12-01T03:00:02Z stdout P prompt> \n");
        got = read_log("end.log", &o, &stats);
        is_str(got, "o:a\ne:err without newlineo:prompt> ",
               "lines the log ends inside come last, without a newline");
        free(got);
        o.tail = 1;
        got = read_log("end.log", &o, &stats);
        is_str(got, "o:prompt> ", "tail 1 is the unfinished last line");
        free(got);

        put_file("torn.log", "2026-12-01T03:00:00Z stdout F a\n2026-12-01T03:00:01Z stdout F b");
        o = all();
        got = read_log("torn.log", &o, &stats);
        is_str(got, "o:a\no:b\n", "a last record without newline is read");
        free(got);
        o.tail = 1;
        got = read_log("torn.log", &o, &stats);
        is_str(got, "o:b\n", "and counted by tail");
        free(got);

        /* A record over ENGINE_LOG_RECORD_MAX is skipped whole. */
        buf_init(&big, 0);
        buf_appendf(&big, "2026-12-01T03:00:00Z stdout F ");
        for (int i = 0; i < 300 * 1024 / 8; i++)
                buf_append(&big, "12345678", 8);
        buf_appendf(&big, "\n2026-12-01T03:00:01Z stdout F after\n");
        put_file("huge.log", big.data);
        o = all();
        got = read_log("huge.log", &o, &stats);
        is_str(got, "o:after\n", "an over-long record is skipped");
        ok(stats.malformed == 1, "and counted");
        free(got);
        o.tail = 1;
        got = read_log("huge.log", &o, &stats);
        is_str(got, "o:after\n", "tail reads past it backwards");
        free(got);
}

static void test_reader_line_max(void)
{
        struct engine_log_read_options o = {.tail = -1, .line_max = 10, .timestamps = true};
        struct engine_log_read_stats stats;
        char *got;

        put_file("long.log", "2026-12-01T03:00:00Z stdout P 0123456789abc\n"
                             "2026-12-01T03:00:01Z stdout F def\n"
                             "2026-12-01T03:00:02Z stdout F short\n");
        got = read_log("long.log", &o, &stats);
        is_str(got,
               "o:2026-12-01T03:00:00.000000000Z 0123456789o:abcdef\n"
               "o:2026-12-01T03:00:02.000000000Z short\n",
               "a line past line_max comes in pieces, the timestamp only on the first");
        ok(stats.split == 1 && stats.lines == 3, "split counted");
        free(got);

        put_file("long.log", "2026-12-01T03:00:00Z stderr F 0123456789abcdefghij012\n");
        o.timestamps = false;
        got = read_log("long.log", &o, &stats);
        is_str(got, "e:0123456789e:abcdefghije:012\n", "a single record past line_max too");
        free(got);
}

/* Lines written by the writer come back whole. */
static void test_round_trip(void)
{
        struct engine_log_writer *w = open_writer("rt.log");
        struct rctr_error err = {0};
        struct engine_log_read_options o = all();
        struct engine_log_read_stats stats;
        cleanup_buf struct buf want;
        cleanup_free char *big = xmalloc(40002);
        char *got;

        buf_init(&want, 0);
        memset(big, 'x', 40000);
        memcpy(big + 40000, "\n", 2);
        write_str(w, ENGINE_LOG_STDOUT, "hel");
        write_str(w, ENGINE_LOG_STDERR, "oops\n");
        write_str(w, ENGINE_LOG_STDOUT, "lo\n");
        write_str(w, ENGINE_LOG_STDOUT, big);
        for (int i = 0; i < 20000; i++) {
                char line[32];

                snprintf(line, sizeof(line), "line %d\n", i);
                write_str(w, i % 3 ? ENGINE_LOG_STDOUT : ENGINE_LOG_STDERR, line);
        }
        write_str(w, ENGINE_LOG_STDOUT, "bye");
        engine_log_writer_close(w, &err);

        buf_appendf(&want, "e:oops\no:hello\no:%s", big);
        for (int i = 0; i < 20000; i++)
                buf_appendf(&want, "%c:line %d\n", i % 3 ? 'o' : 'e', i);
        buf_appendf(&want, "o:bye");
        got = read_log("rt.log", &o, &stats);
        ok(streq(got, want.data) && stats.malformed == 0, "round trip: %zu bytes", strlen(got));
        free(got);

        o.tail = 3;
        got = read_log("rt.log", &o, &stats);
        is_str(got, "e:line 19998\no:line 19999\no:bye", "tail 3 of a big log");
        free(got);

        /* The long line spans blocks when read backwards. */
        w = open_writer("rt2.log");
        write_str(w, ENGINE_LOG_STDOUT, "first\n");
        write_str(w, ENGINE_LOG_STDOUT, big);
        write_str(w, ENGINE_LOG_STDERR, "last\n");
        engine_log_writer_close(w, &err);
        o.tail = 2;
        got = read_log("rt2.log", &o, &stats);
        ok(strlen(got) == 2 + 40001 + 7 && strncmp(got, "o:xxx", 5) == 0 &&
                   streq(got + 40003, "e:last\n"),
           "tail 2: a line of three records, then the last");
        free(got);
        rctr_error_clear(&err);
}

static void test_sink_fds(void)
{
        struct engine_log_read_options o = all();
        struct rctr_error err = {0};
        int out[2], errp[2];
        struct engine_log_fds fds;
        char got[256];
        ssize_t n;

        put_file("sample.log", sample);
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
                abort();
        fds = (struct engine_log_fds){.out_fd = out[1], .err_fd = errp[1]};
        o.line_fn = engine_log_sink_fds;
        o.userdata = &fds;
        ok(engine_log_read(dirfd_, "sample.log", &o, NULL, &err) == 0, "read into fds");
        close(out[1]);
        close(errp[1]);
        n = read(out[0], got, sizeof(got) - 1);
        got[n > 0 ? n : 0] = '\0';
        is_str(got, "one\ntwo\nthree\n", "stdout lines go to the out fd");
        n = read(errp[0], got, sizeof(got) - 1);
        got[n > 0 ? n : 0] = '\0';
        is_str(got, "err-a\nerr-b\n", "stderr lines go to the err fd");
        close(out[0]);
        close(errp[0]);

        ok(engine_log_read(dirfd_, "missing.log", &o, NULL, &err) == -ENOENT &&
                   strstr(err.msg, "open container log missing.log"),
           "a missing log: %s", err.msg);
        rctr_error_clear(&err);
}

/* ---- follow ---- */

static atomic_bool exited;

struct follow_ctx {
        struct collect c;
        struct engine_log_writer *w;
        pthread_t th;
        bool started;
};

static void *appender(void *arg)
{
        struct engine_log_writer *w = arg;
        struct rctr_error err = {0};
        struct timespec pause = {.tv_nsec = 2000000};

        for (int i = 0; i < 50; i++) {
                char line[32];

                snprintf(line, sizeof(line), "tick %d\n", i);
                write_str(w, i % 2 ? ENGINE_LOG_STDERR : ENGINE_LOG_STDOUT, line);
                if (i % 10 == 0)
                        nanosleep(&pause, NULL);
        }
        write_str(w, ENGINE_LOG_STDOUT, "par");
        engine_log_writer_flush(w, &err);
        write_str(w, ENGINE_LOG_STDOUT, "tial\nlast words\n");
        engine_log_writer_free(w);
        atomic_store(&exited, true); /* right after the last write: the drain must catch it */
        return NULL;
}

/*
 * The first call starts the appending thread: by then the reader has the file open and past
 * its old end (tail 0), so what it must show is exactly what the thread writes.
 */
static bool follow_exited(void *userdata)
{
        struct follow_ctx *f = userdata;

        if (!f->started) {
                f->started = pthread_create(&f->th, NULL, appender, f->w) == 0;
                return !f->started;
        }
        return atomic_load(&exited);
}

static int follow_line(void *userdata, const struct engine_log_line *line, struct rctr_error *err)
{
        struct follow_ctx *f = userdata;

        return collect_line(&f->c, line, err);
}

static void test_follow_thread(void)
{
        struct engine_log_read_options o = {.tail = 0, .follow = true, .poll_ms = 20};
        struct follow_ctx f = {.started = false};
        struct engine_log_read_stats stats = {0};
        struct rctr_error err = {0};
        cleanup_buf struct buf want;
        int r;

        buf_init(&want, 0);
        buf_init(&f.c.out, 0);
        for (int i = 0; i < 50; i++)
                buf_appendf(&want, "%c:tick %d\n", i % 2 ? 'e' : 'o', i);
        buf_appendf(&want, "o:partial\no:last words\n");

        put_file("follow.log", "2026-12-01T03:00:00Z stdout F before\n");
        f.w = open_writer("follow.log");
        o.line_fn = follow_line;
        o.userdata = &f;
        o.exited = follow_exited;
        atomic_store(&exited, false);
        r = engine_log_read(dirfd_, "follow.log", &o, &stats, &err);
        if (f.started)
                pthread_join(f.th, NULL);
        else
                engine_log_writer_free(f.w);
        ok(f.started, "the appending thread ran");
        ok(r == 0, "follow returns once the container exited: %s", err.msg ? err.msg : "ok");
        is_str(f.c.out.data, want.data,
               "every appended line, none from before, P records joined, the last ones drained");
        buf_free(&f.c.out);
        rctr_error_clear(&err);
}

/* Follow driven step by step through exited(): append, truncate (size cap), exit. */
static int step;

static bool scripted_exited(void *userdata)
{
        int fd;

        (void)userdata;
        switch (step++) {
        case 0:
                return false; /* the first look: nothing new */
        case 1:
                fd = openat(dirfd_, "script.log", O_WRONLY | O_APPEND | O_CLOEXEC);
                (void)!write(fd, "2026-12-01T03:00:01Z stdout F more\n", 35);
                close(fd);
                return false;
        case 2:
                fd = openat(dirfd_, "script.log", O_WRONLY | O_TRUNC | O_CLOEXEC);
                (void)!write(fd, "2026-12-01T03:00:02Z stderr F new\n", 34);
                close(fd);
                return false;
        default:
                return true;
        }
}

static void test_follow_truncate(void)
{
        struct engine_log_read_options o = {.tail = -1, .follow = true, .poll_ms = 5};
        struct engine_log_read_stats stats = {0};
        char *got;

        put_file("script.log", "2026-12-01T03:00:00Z stdout F first line of a long-ish log\n");
        o.exited = scripted_exited;
        step = 0;
        got = read_log("script.log", &o, &stats);
        is_str(got, "o:first line of a long-ish log\no:more\ne:new\n",
               "follow: appended lines, then the truncated file from its start");
        ok(stats.restarts == 1, "one restart counted");
        free(got);
}

int main(void)
{
        char tmpdir[] = "/tmp/rctr-test-log-XXXXXX";
        struct rctr_error err = {0};

        /* Local-time inputs ("2026-12-01") are tested as UTC. */
        setenv("TZ", "UTC", 1);
        tzset();
        if (!mkdtemp(tmpdir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        dirfd_ = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd_ < 0) {
                printf("Bail out! open %s: %s\n", tmpdir, strerror(errno));
                return 1;
        }

        test_format_time();
        test_parse_timestamp();
        test_parse_record();
        test_parse_time();
        test_writer();
        test_writer_open_errors();
        test_writer_torn();
        test_writer_size_max();
        test_writer_write_error();
        test_reader_tail();
        test_reader_filters();
        test_reader_ends();
        test_reader_line_max();
        test_round_trip();
        test_sink_fds();
        test_follow_thread();
        test_follow_truncate();

        close(dirfd_);
        if (fs_remove_tree_at(AT_FDCWD, tmpdir, &err) < 0)
                printf("# cleanup: %s\n", err.msg);
        rctr_error_clear(&err);
        return tap_done();
}
