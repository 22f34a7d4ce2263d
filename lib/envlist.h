/* Environment lists (NULL-terminated "KEY=VALUE" strv) as exec's -e builds them. */
#pragma once

/* Replace KEY in *env or append KEY=VALUE (a later -e wins: getenv finds only the first). */
void envlist_set(char ***env, const char *kv);
