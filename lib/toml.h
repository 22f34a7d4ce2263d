/*
 * A TOML subset for the containers ecosystem's config files (registries.conf and its drop-ins,
 * later containers.conf and storage.conf): comments, basic strings with escapes, literal
 * strings, booleans, arrays (over several lines), inline tables, tables, arrays of tables and
 * dotted keys. Numbers and dates are kept as their text (TOML_OTHER). Multi-line strings are
 * refused with a clear error; no file we read uses them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct rctr_error;

enum toml_type {
        TOML_STRING,
        TOML_BOOL,
        TOML_OTHER, /* integer, float or date: s holds the text as written */
        TOML_ARRAY,
        TOML_TABLE,
};

struct toml_value {
        enum toml_type type;
        unsigned line; /* where the value (or the table's header) is, from 1 */
        bool b;        /* TOML_BOOL */
        char *s;       /* owned, TOML_STRING (decoded, no NUL inside) and TOML_OTHER */
        /* TOML_ARRAY: the items, owned */
        struct toml_value **items;
        size_t n_items;
        /* TOML_TABLE: keys and values in the order written, owned */
        char **keys;
        struct toml_value **values;
        size_t n_keys;
        unsigned flags; /* private to toml.c */
};

/* Caps on what a document may hold, so a hostile file costs bounded time and stack. */
#define TOML_MAX_DEPTH 32   /* parts of a key; nesting of arrays and inline tables */
#define TOML_MAX_KEYS  4096 /* keys of one table (lookups are linear) */
#define TOML_MAX_ITEMS 4096 /* items of one array, tables of an array of tables */

/*
 * Parse buf (len bytes; need not be NUL-terminated) into a tree whose root is a table. name is
 * used in error messages, which read "<name>:<line>: <what is wrong>". The caller caps len.
 * Returns 0 and *ret (owned, toml_free()), or -EBADMSG with err set.
 */
int toml_parse(const char *buf, size_t len, const char *name, struct toml_value **ret,
               struct rctr_error *err);

void toml_free(struct toml_value *v);

static inline void toml_freep(struct toml_value **v)
{
        toml_free(*v);
}
#define cleanup_toml __attribute__((cleanup(toml_freep)))

/* The value of key in table (borrowed), or NULL when absent or table is not a table. */
struct toml_value *toml_get(const struct toml_value *table, const char *key);

/* "string", "boolean", "array", "table" or "number or date", for messages. */
const char *toml_type_name(enum toml_type type);
