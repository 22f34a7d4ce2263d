/* Cleanup attributes, ownership transfer and small syscall helpers shared by every module. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLEANUP(f) __attribute__((cleanup(f)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define streq(a, b) (strcmp((a), (b)) == 0)

/* Retry a call interrupted by a signal; evaluates to the call's last result. */
#define RETRY_EINTR(expr)                         \
        ({                                        \
                __typeof__(expr) _r;              \
                do                                \
                        _r = (expr);              \
                while (_r < 0 && errno == EINTR); \
                _r;                               \
        })

/* Hand ownership out of a cleanup variable: the variable is left empty. */
#define TAKE_PTR(p)                        \
        ({                                 \
                __typeof__(p) *_pp = &(p); \
                __typeof__(p) _v = *_pp;   \
                *_pp = NULL;               \
                _v;                        \
        })
#define TAKE_FD(fd)               \
        ({                        \
                int *_pf = &(fd); \
                int _v = *_pf;    \
                *_pf = -1;        \
                _v;               \
        })

#define DEFINE_FREEP(type, fn)            \
        static inline void fn##p(type *p) \
        {                                 \
                if (*p)                   \
                        fn(*p);           \
        }

static inline void freep(void *p)
{
        free(*(void **)p);
}

/* Never retry close(): on Linux the descriptor is gone even when it reports EINTR. */
static inline int close_nointr(int fd)
{
        int saved = errno;
        int r = close(fd);

        errno = saved;
        return r;
}

/* Also for closing early: the variable is left -1, so its cleanup does not close a reused fd. */
static inline void closep(int *fd)
{
        if (*fd >= 0)
                close_nointr(*fd);
        *fd = -1;
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Free a NULL-terminated array of strings and the array itself. */
static inline void strv_free(char **v)
{
        if (!v)
                return;
        for (char **s = v; *s; s++)
                free(*s);
        free(v);
}

static inline void strv_freep(char ***v)
{
        strv_free(*v);
}

#define cleanup_free   CLEANUP(freep)
#define cleanup_close  CLEANUP(closep)
#define cleanup_fclose CLEANUP(fclosep)
#define cleanup_dir    CLEANUP(closedirp)
#define cleanup_strv   CLEANUP(strv_freep)
