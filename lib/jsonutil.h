/* JSON helpers on top of jansson (json_* belongs to jansson, so ours are jsonutil_*). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct rctr_error;

/*
 * Print value to stdout as indented JSON (format "json") or as a YAML-like text listing
 * (format "text", the way podman shows `info`). Returns 0, or -EINVAL with err set for another
 * format.
 */
int jsonutil_print_format(json_t *value, const char *format, struct rctr_error *err);

/* The text rendering: "key: value" lines, nested objects indented by two spaces per level. */
void jsonutil_print_text(FILE *f, json_t *value, int indent);

/*
 * Typed field access for untrusted documents. Each returns 0 with *ret set (borrowed from obj,
 * valid while obj lives), 0 with *ret untouched when the field is absent or null and not
 * required, or -EBADMSG with err saying "<key>: expected a string" (or "<key>: missing").
 */
int jsonutil_get_string(json_t *obj, const char *key, bool required, const char **ret,
                        struct rctr_error *err);
int jsonutil_get_bool(json_t *obj, const char *key, bool *ret, struct rctr_error *err);
/* An integer within [min, max]; -EBADMSG when out of range. */
int jsonutil_get_int(json_t *obj, const char *key, bool required, json_int_t min, json_int_t max,
                     json_int_t *ret, struct rctr_error *err);
int jsonutil_get_object(json_t *obj, const char *key, bool required, json_t **ret,
                        struct rctr_error *err);
int jsonutil_get_array(json_t *obj, const char *key, bool required, json_t **ret,
                       struct rctr_error *err);
/* An array of strings as an owned NULL-terminated copy (strv); absent gives an empty strv. */
int jsonutil_get_strv(json_t *obj, const char *key, bool required, char ***ret,
                      struct rctr_error *err);

/*
 * Parse untrusted JSON text (not NUL-terminated) of at most max bytes, rejecting duplicate keys.
 * Returns 0 and a new reference, or -EFBIG / -EBADMSG with err giving line and column.
 */
int jsonutil_parse(const char *buf, size_t len, size_t max, json_t **ret, struct rctr_error *err);
