/*
 * The one error style of rctr (STYLE.md §4): fallible functions return -errno and fill the
 * caller's struct rctr_error once, where the cause is known; callers only add context.
 * Only cmd/main.c prints an error.
 */
#pragma once

#include <stdbool.h>

#include "macros.h"

struct rctr_error {
        int code;        /* positive errno; 0 = none */
        int exit_status; /* 0, or 126/127: the container command could not be executed */
        char *msg;       /* owned: "context: context: cause" */
        bool reported;   /* said already (by a helper process on our stderr): print nothing */
};

/* Set the error to the formatted text plus ": strerror(code)". Returns -code. */
int rctr_error_sys(struct rctr_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Set the error to the formatted text, which is the cause itself. Returns -code. */
int rctr_error_set(struct rctr_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prepend "<formatted context>: " to the message of a set error. Returns -err->code. */
int rctr_error_prefix(struct rctr_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Forget the error (after a caller recovered from it). */
void rctr_error_clear(struct rctr_error *err);

static inline void rctr_error_clearp(struct rctr_error *err)
{
        rctr_error_clear(err);
}

#define cleanup_error CLEANUP(rctr_error_clearp)
