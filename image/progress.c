#include <config.h>
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xalloc.h"

struct image_progress {
        FILE *out;
        bool tty;
        size_t n;
        char **digests; /* owned array of borrowed strings */
        uint64_t *sizes, *done;
        const char **state; /* NULL while running */
        pthread_mutex_t lock;
        struct timespec last;
};

struct image_progress *image_progress_new(FILE *out, bool tty, size_t n, char *const *digests,
                                          const uint64_t *sizes)
{
        struct image_progress *p;

        if (!out)
                return NULL;
        p = xzalloc(sizeof(*p));
        p->out = out;
        p->tty = tty;
        p->n = n;
        /* copied: the caller's array may go, the strings it points to stay */
        p->digests = xreallocarray(NULL, n + 1, sizeof(char *));
        memcpy(p->digests, digests, n * sizeof(char *));
        p->sizes = xreallocarray(NULL, n + 1, sizeof(uint64_t));
        memcpy(p->sizes, sizes, n * sizeof(uint64_t));
        p->done = xzalloc((n + 1) * sizeof(uint64_t));
        p->state = xzalloc((n + 1) * sizeof(char *));
        pthread_mutex_init(&p->lock, NULL);
        /* a line per layer to redraw: the cursor stays below them */
        for (size_t i = 0; tty && i < n; i++)
                fprintf(out, "Copying blob %.12s\n", digests[i] + 7);
        fflush(out);
        return p;
}

static void human(uint64_t b, char *out, size_t size)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = (double)b;
        size_t u = 0;

        while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
                v /= 1024, u++;
        snprintf(out, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* Redraw line i: up to it, rewrite, back down. Called with the lock held. */
static void draw(struct image_progress *p, size_t i)
{
        char done[32], total[32], bar[31];
        size_t filled =
                p->sizes[i] ? (size_t)(30 * (p->done[i] > p->sizes[i] ? p->sizes[i] : p->done[i]) /
                                       p->sizes[i])
                            : 0;

        if (p->state[i])
                filled = 30;
        memset(bar, ' ', 30);
        memset(bar, '=', filled);
        bar[30] = '\0';
        human(p->done[i], done, sizeof(done));
        human(p->sizes[i], total, sizeof(total));
        fprintf(p->out, "\033[%zuA\rCopying blob %.12s [%s] %s / %s%s%s\033[K\033[%zuB\r", p->n - i,
                p->digests[i] + 7, bar, done, total, p->state[i] ? " " : "",
                p->state[i] ? p->state[i] : "", p->n - i);
        fflush(p->out);
}

void image_progress_update(struct image_progress *p, size_t i, uint64_t done)
{
        struct timespec now;

        if (!p || !p->tty || i >= p->n)
                return;
        pthread_mutex_lock(&p->lock);
        p->done[i] = done;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* a redraw per chunk would cost more than the download: ten a second */
        if ((now.tv_sec - p->last.tv_sec) * 1000000000L + (now.tv_nsec - p->last.tv_nsec) >
            100000000L) {
                p->last = now;
                draw(p, i);
        }
        pthread_mutex_unlock(&p->lock);
}

void image_progress_done(struct image_progress *p, size_t i, const char *what)
{
        if (!p || i >= p->n)
                return;
        pthread_mutex_lock(&p->lock);
        p->state[i] = what;
        if (p->tty) {
                if (p->done[i] < p->sizes[i] && strcmp(what, "done") == 0)
                        p->done[i] = p->sizes[i];
                draw(p, i);
        } else {
                fprintf(p->out, "Copying blob %.12s %s\n", p->digests[i] + 7, what);
                fflush(p->out);
        }
        pthread_mutex_unlock(&p->lock);
}

void image_progress_free(struct image_progress *p)
{
        if (!p)
                return;
        pthread_mutex_destroy(&p->lock);
        free(p->digests);
        free(p->sizes);
        free(p->done);
        free(p->state);
        free(p);
}
