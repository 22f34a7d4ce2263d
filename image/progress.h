/*
 * What a pull shows while it runs: on a terminal, a bar per layer redrawn in place (as podman
 * and docker do); otherwise one line per finished step, for logs and CI.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct image_progress;

/* Layers with their digests and sizes; out NULL: show nothing. tty: bars (out is a terminal). */
struct image_progress *image_progress_new(FILE *out, bool tty, size_t n, char *const *digests,
                                          const uint64_t *sizes);
/* Layer i has received done bytes (any thread; redrawn at most every 100 ms). */
void image_progress_update(struct image_progress *p, size_t i, uint64_t done);
/* Layer i is finished: what ("done", "skipped: already exists"). */
void image_progress_done(struct image_progress *p, size_t i, const char *what);
void image_progress_free(struct image_progress *p);
