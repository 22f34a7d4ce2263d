#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "rootless/subid.h"
#include "tap.h"

#define PARSE(text, user, id, r) rootless_subid_parse((text), strlen(text), (user), (id), (r))

int main(void)
{
        struct rootless_ranges r;

        PARSE("alice:100000:65536\nbob:165536:65536\n", "bob", 1001, &r);
        ok(r.n == 1 && r.v[0].start == 165536 && r.v[0].count == 65536, "by name");

        PARSE("1001:200000:1000\n", "bob", 1001, &r);
        ok(r.n == 1 && r.v[0].start == 200000 && r.v[0].count == 1000, "by uid number");

        PARSE("bob:100000:10\nbob:300000:20", "bob", 1001, &r);
        ok(r.n == 2 && r.v[1].start == 300000 && r.v[1].count == 20,
           "several ranges, last line without newline");

        PARSE("# comment\n\nbobby:1:2\nbo:1:2\nbob:x:2\nbob:1\nbob:5:0\nbob:7:8:9\n", "bob", 1, &r);
        ok(r.n == 0, "comments, blank, prefix names, junk, zero counts are skipped");

        PARSE("bob:4294967295:1\nbob:4294967000:1000\n", "bob", 1, &r);
        ok(r.n == 0, "ranges reaching 2^32-1 are dropped");

        PARSE("alice:100000:65536\n", "bob", 1001, &r);
        ok(r.n == 0, "no range for this user");

        {
                char many[64 * 40] = "";

                for (int i = 0; i < 40; i++)
                        strcat(many, "bob:1000:1\n");
                PARSE(many, "bob", 1, &r);
                ok(r.n == ROOTLESS_MAX_RANGES, "at most ROOTLESS_MAX_RANGES ranges");
        }

        PARSE("bob:100:5\nbob:200:7\n", "bob", 1, &r);
        ok(rootless_ranges_total(&r) == 12, "total");
        return tap_done();
}
