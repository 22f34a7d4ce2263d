/* Generated container names, "adjective_noun" as docker and podman give them. */
#include <config.h>

#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include "engine/container-record.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static const char *const adjectives[] = {
        "agile",    "amazing", "bold",     "brave",    "bright",    "calm",    "clever",  "cool",
        "crisp",    "curious", "daring",   "eager",    "elated",    "epic",    "fervent", "fond",
        "gallant",  "gentle",  "happy",    "hardy",    "heuristic", "humble",  "jolly",   "keen",
        "kind",     "lucid",   "lucky",    "merry",    "modest",    "nimble",  "noble",   "patient",
        "peaceful", "pensive", "placid",   "quirky",   "quiet",     "rapid",   "relaxed", "serene",
        "sharp",    "silly",   "sleepy",   "stoic",    "sturdy",    "sweet",   "tender",  "tidy",
        "upbeat",   "vibrant", "vigilant", "wizardly", "witty",     "zealous", "zen",
};

/* people who made computing, as docker's generator names them */
static const char *const nouns[] = {
        "allen",    "babbage", "backus",    "bell",     "booth",      "cerf",      "church",
        "codd",     "conway",  "cray",      "dijkstra", "easley",     "engelbart", "floyd",
        "goldberg", "gray",    "hamilton",  "hamming",  "hopper",     "hoare",     "kahan",
        "karp",     "kay",     "kernighan", "knuth",    "lamport",    "liskov",    "lovelace",
        "mccarthy", "minsky",  "moore",     "naur",     "neumann",    "noether",   "perlman",
        "pike",     "ritchie", "shannon",   "shaw",     "sutherland", "tarjan",    "thompson",
        "torvalds", "turing",  "wirth",     "wozniak",  "yao",
};

static unsigned random_below(unsigned n)
{
        unsigned v = 0;

        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
                v = (unsigned)rand();
        return v % n;
}

static bool taken(const struct engine_container_list *l, const char *name)
{
        for (size_t i = 0; l && i < l->n; i++)
                if (streq(l->v[i].name, name))
                        return true;
        return false;
}

char *engine_container_new_name(const struct engine_container_list *l)
{
        for (unsigned attempt = 0;; attempt++) {
                const char *a = adjectives[random_below(ARRAY_SIZE(adjectives))];
                const char *n = nouns[random_below(ARRAY_SIZE(nouns))];
                /* after a few collisions a number tells names apart, as docker does */
                char *name = attempt < 8 ? xasprintf("%s_%s", a, n)
                                         : xasprintf("%s_%s%u", a, n, random_below(1000));

                if (!taken(l, name))
                        return name;
                free(name);
        }
}
