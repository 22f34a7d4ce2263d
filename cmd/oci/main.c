/*
 * rctr-oci: rctr's OCI runtime as its own small executable, with runc's command line. Callers
 * (podman/conmon, containerd, scripts) start it for every container operation, so it links only
 * what running containers needs: no registry client, no archive library (their loading and
 * relocation cost more than creating a container).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "cmd/common.h"

int main(int argc, char **argv)
{
        CLEANUP(cmd_global_clear) struct cmd_global g = {0};
        cleanup_error struct rctr_error err = {0};
        int r;

        cmd_startup();
        r = cmd_global_defaults(&g, &err);
        if (r >= 0)
                r = cmd_oci(&g, argc, argv, &err);
        fflush(stdout);
        if (r >= 0)
                return r;
        fprintf(stderr, "rctr-oci: %s\n", err.msg ? err.msg : strerror(-r));
        return cmd_exit_code(&err);
}
