/* rctr version: our version and the libraries we were built with. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <seccomp.h>

#include "cmd.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"

/* The same facts for both formats; built once. Returns a new reference. */
json_t *cmd_version_json(void)
{
        const struct scmp_version *sv = seccomp_version();
        struct utsname u;
        cleanup_free char *seccomp = xasprintf("%u.%u.%u", sv->major, sv->minor, sv->micro);
        const char *arch = uname(&u) == 0 ? u.machine : "unknown";

        return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "version", PACKAGE_VERSION,
                         "os", "linux", "arch", arch, "libraries", "libcurl",
                         curl_version_info(CURLVERSION_NOW)->version, "libarchive",
                         archive_version_details(), "jansson", jansson_version_str(), "libseccomp",
                         seccomp);
}

int cmd_version(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "version",
                .usage = "rctr version [options]",
                .summary = "Show the version of rctr and of the libraries it uses.",
                .opts = cmd_format_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        json_auto_t *info = NULL;
        const char *format = NULL;
        int r;

        r = cmd_parse_format_only(&p, &format, err);
        if (r != 0)
                return r < 0 ? r : 0;
        info = cmd_version_json();
        return jsonutil_print_format(info, format, err);
}
