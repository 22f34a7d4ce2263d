/*
 * The monitor's container log writer: turns what the container writes on stdout and stderr into
 * k8s-file records (engine/log-format.h).
 *
 * Lines are split at '\n'. A line without its newline yet stays buffered per stream until the
 * newline comes, until it passes ENGINE_LOG_LINE_MAX (then P records of that size are written)
 * or until engine_log_writer_flush() (then it is written as a P record). Each engine_log_write()
 * reads the clock once (CLOCK_REALTIME) and stamps all its records with it, and writes them with
 * as few write(2) calls as fit in a 64 KiB buffer: no allocation after open.
 *
 * The writer never waits for the disk: the file is a regular file (a FIFO planted in its place
 * is refused), so a full disk is an ENOSPC returned to the caller, who decides whether to keep
 * logging. After a failed or short write the next write starts on a new line, so one torn record
 * costs at most that record.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/log-format.h"
#include "lib/macros.h"

struct rctr_error;
struct engine_log_writer;

/*
 * Open (creating it 0600, never following a symlink) dirfd/name for appending. Returns the
 * writer, owned by the caller (engine_log_writer_close() or _free()), or NULL with err set.
 */
struct engine_log_writer *engine_log_writer_open(int dirfd, const char *name,
                                                 struct rctr_error *err);

/*
 * Cap the file at size_max bytes (0, the default: no cap). As conmon's --log-size-max does,
 * when a write would take the file past the cap, the file is truncated to zero and logging goes
 * on: the log keeps the most recent output, not the oldest. Readers following the file notice
 * that it shrank and start again from its beginning (engine/log-reader.h).
 */
void engine_log_writer_set_size_max(struct engine_log_writer *w, uint64_t size_max);

/*
 * Log len bytes the container wrote on stream. Returns 0, or -errno with err set when writing
 * the file failed; then the records of this call not yet written are lost, the writer stays
 * usable and the caller may go on or stop logging.
 */
int engine_log_write(struct engine_log_writer *w, enum engine_log_stream stream, const char *data,
                     size_t len, struct rctr_error *err);

/*
 * True if a stream holds the start of a line not written yet. A monitor flushes when its read
 * loop goes idle with this true (say after a second), so `rctr logs -f` shows a prompt without
 * a newline.
 */
bool engine_log_writer_has_partial(const struct engine_log_writer *w);

/* Write the buffered starts of lines as P records. Returns 0 or -errno with err set. */
int engine_log_writer_flush(struct engine_log_writer *w, struct rctr_error *err);

/*
 * Flush, close and free w (NULL is a no-op). Returns 0 or the flush's -errno with err set; w is
 * freed either way.
 */
int engine_log_writer_close(struct engine_log_writer *w, struct rctr_error *err);

/* Free w without flushing (error paths); NULL is a no-op. */
void engine_log_writer_free(struct engine_log_writer *w);

DEFINE_FREEP(struct engine_log_writer *, engine_log_writer_free)
