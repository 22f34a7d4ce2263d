/* JSON helpers on top of jansson (json_* belongs to jansson, so ours are jsonutil_*). */
#pragma once

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
