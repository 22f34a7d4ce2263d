/*
 * The container log format ("k8s-file", the CRI log format that conmon and podman write): one
 * record per line,
 *
 *     2026-12-01T03:04:05.123456789Z stdout F the line
 *
 * an RFC 3339 timestamp, the stream (stdout|stderr), a tag (F: the record ends a line, P: the
 * line continues in the next record of the same stream) and the content without its newline.
 * rctr writes UTC with exactly nine fractional digits and "Z" (fixed width, sorts as text, needs
 * no time zone database in the monitor); conmon writes local time with an offset
 * ("...123456789+01:00"), so the parser accepts any RFC 3339 time: 0-9 fractional digits,
 * "Z"/"z" or a numeric offset.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rctr_error;

enum engine_log_stream {
        ENGINE_LOG_STDOUT,
        ENGINE_LOG_STDERR,
};
#define ENGINE_LOG_N_STREAMS 2

/*
 * Content bytes in one record written by rctr: a longer line becomes P records of this size and
 * a final F record (conmon splits at its 8 KiB read buffer; readers must not assume either).
 */
#define ENGINE_LOG_LINE_MAX (16 * 1024)
/* Length of the timestamps rctr writes: "2026-12-01T03:04:05.123456789Z". */
#define ENGINE_LOG_TIME_LEN 30
/* Longest timestamp a record may carry: "2026-12-01T03:04:05.123456789+01:00". */
#define ENGINE_LOG_TIME_MAX 35

struct engine_log_record {
        int64_t ts_ns; /* nanoseconds since the epoch, UTC */
        enum engine_log_stream stream;
        bool partial;        /* P: the line continues in the next record of this stream */
        const char *content; /* borrowed from the parsed text, not NUL-terminated */
        size_t content_len;
};

/* "stdout" or "stderr". */
const char *engine_log_stream_name(enum engine_log_stream stream);

/*
 * Write ns as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (UTC) and a NUL into out, which has room for
 * ENGINE_LOG_TIME_LEN + 1 bytes.
 */
void engine_log_format_time(int64_t ns, char *out);

/*
 * Parse a whole RFC 3339 date-time with a zone ("2026-12-01T03:04:05.5+01:00"), as found in a
 * record, into nanoseconds since the epoch. Returns 0, -EINVAL (not such a time) or -ERANGE
 * (outside what int64 nanoseconds hold: 1678..2262).
 */
int engine_log_parse_timestamp(const char *s, size_t len, int64_t *ret_ns);

/*
 * Split one record (without its newline) into its fields; ret->content points into line.
 * Only the header is needed: a prefix of a record parses as the same record with less content.
 * Returns 0 or -EBADMSG.
 */
int engine_log_parse_record(const char *line, size_t len, struct engine_log_record *ret);

/*
 * Parse a --since/--until argument relative to now_ns:
 *   - an RFC 3339 time, "2026-12-01T03:04:05Z", "2026-12-01T03:04:05.5+01:00"; without a zone
 *     ("2026-12-01T03:04", "2026-12-01") it is local time, as docker and podman read it;
 *   - unix seconds with an optional fraction, "1700000000", "1700000000.25" (a bare number is
 *     always seconds, never a duration: "10" is 1970-01-01T00:00:10Z, as in docker);
 *   - a duration before now in Go's syntax, "10m", "1h30m", "90s", "1.5h", "250ms".
 * Returns 0 with *ret_ns set, or -EINVAL with err saying what is accepted.
 */
int engine_log_parse_time(const char *text, int64_t now_ns, int64_t *ret_ns,
                          struct rctr_error *err);
