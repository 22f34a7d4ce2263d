/*
 * Reading a container log (engine/log-format.h) for `rctr logs`: P records are joined into whole
 * lines per stream, then --tail, --since/--until, --timestamps and --follow apply, and each line
 * goes to a callback (engine_log_sink_fds() routes stdout to fd 1 and stderr to fd 2).
 *
 * Records that do not parse are skipped and counted, never fatal. A record longer than
 * ENGINE_LOG_RECORD_MAX is skipped the same way; a joined line longer than the line cap is
 * handed over in pieces (all but the last with newline false), so memory stays bounded whatever
 * the file holds.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/log-format.h"

struct rctr_error;

/* Longest record read; anything longer is not one of ours or conmon's, and is skipped. */
#define ENGINE_LOG_RECORD_MAX (256 * 1024)
/* Default cap of a joined line (engine_log_read_options.line_max). */
#define ENGINE_LOG_READ_LINE_MAX (1024 * 1024)

struct engine_log_line {
        enum engine_log_stream stream;
        int64_t ts_ns;       /* timestamp of the line's first record */
        const char *content; /* the line's bytes, without newline; borrowed for the call */
        size_t content_len;
        /*
         * What to print: content after "<timestamp> " when timestamps were asked for (not on a
         * continued piece), plus '\n' when newline. Borrowed for the call, NUL-terminated.
         */
        const char *text;
        size_t text_len;
        bool newline;   /* false: the log ends inside this line, or a piece of an over-long line */
        bool continued; /* this piece continues the previous one of its stream */
};

/* Called for each line; returns >= 0 to go on, or -errno with err set to stop the read. */
typedef int (*engine_log_line_fn)(void *userdata, const struct engine_log_line *line,
                                  struct rctr_error *err);

struct engine_log_read_options {
        /*
         * Only the last tail lines of the log (P records and the F that ends them are one line;
         * a line the log ends inside counts too); found by reading the file backwards, so the
         * cost is that of the lines shown. -1: all; 0: none (with follow: only new lines).
         * tail applies before since/until.
         */
        int64_t tail;
        bool has_since, has_until;
        int64_t since_ns, until_ns; /* inclusive bounds on a line's first record's timestamp */
        bool timestamps;            /* prefix text with the UTC RFC 3339 timestamp, as podman -t */
        size_t line_max;            /* cap of a joined line; 0: ENGINE_LOG_READ_LINE_MAX */
        engine_log_line_fn line_fn;
        void *userdata;
        /*
         * Follow: at the end of the file, wait for more (inotify, else polling) until exited()
         * returns true, then read what is left and return. With has_until, also stop once the
         * clock passes until_ns. If the file shrinks (the writer's size cap), reading starts
         * again at its beginning.
         */
        bool follow;
        bool (*exited)(void *userdata);
        unsigned poll_ms; /* how often exited() is asked; 0: 250 ms */
};

struct engine_log_read_stats {
        uint64_t lines;     /* lines (or pieces) handed to line_fn */
        uint64_t malformed; /* records skipped: no valid header, or over ENGINE_LOG_RECORD_MAX */
        uint64_t split;     /* lines handed over in pieces because of line_max */
        uint64_t restarts;  /* times a followed file shrank and was read again from its start */
};

/*
 * Read dirfd/name as opts says. Returns 0 (ret_stats, if not NULL, filled) or -errno with err
 * set: opening or reading the file failed, or line_fn's error.
 */
int engine_log_read(int dirfd, const char *name, const struct engine_log_read_options *opts,
                    struct engine_log_read_stats *ret_stats, struct rctr_error *err);

/* The fds a sink writes to: out_fd for stdout lines, err_fd for stderr lines. */
struct engine_log_fds {
        int out_fd, err_fd;
};

/* An engine_log_line_fn writing line->text to the fd of its stream (userdata: engine_log_fds). */
int engine_log_sink_fds(void *userdata, const struct engine_log_line *line, struct rctr_error *err);
