/*
 * The command table. It is compiled twice: into `rctr`, which links only what containers need
 * (jansson, libseccomp, libcap: it starts in ~2 ms, where libcurl and libarchive with their ~45
 * libraries cost ~17 ms and ~10 MB on every start), and into `rctr-full` (RCTR_FULL), which has
 * the registry client and the archive code. In `rctr` the commands that need those (HEAVY) run
 * `rctr-full` with the same command line.
 */
#include <config.h>

#include <stddef.h>

#include "cmd/cmd.h"

#ifdef RCTR_FULL
#define HEAVY(fn) fn
#else
#define HEAVY(fn) cmd_full
#endif

const struct cmd_def cmd_table[] = {
        {"attach", cmd_attach, "Attach to a running container's terminal or output"},
        {"container", cmd_container,
         "Manage containers: ls, rm, prune, exists, and the container commands"},
        {"cp", HEAVY(cmd_cp), "Copy files between a container and the host"},
        {"create", cmd_create, "Create a container without starting it"},
        {"diff", cmd_diff, "Show what a container changed in its image's file system"},
        {"exec", cmd_exec, "Run a command in a running container"},
        {"export", HEAVY(cmd_export), "Write a container's root file system as a tar"},
        {"help", cmd_help, "Show help for rctr or one of its commands"},
        {"image", HEAVY(cmd_image), "Manage images: list, pull, rm, prune, tag, untag, inspect"},
        {"images", cmd_images, "List the images in the store"},
        {"import", HEAVY(cmd_import), "Make an image from a root file system tarball"},
        {"info", HEAVY(cmd_info),
         "Show what rctr found on this host: namespaces, storage, network, cgroups"},
        {"inspect", cmd_inspect, "Show containers and images as JSON, or through a Go template"},
        {"kill", cmd_kill, "Send a signal to running containers"},
        {"load", HEAVY(cmd_load),
         "Copy the images of a docker-archive or oci-archive into the store"},
        {"login", HEAVY(cmd_login), "Keep credentials for a registry (auth.json)"},
        {"logout", HEAVY(cmd_logout), "Forget the credentials for a registry"},
        {"logs", cmd_logs, "Show what a container wrote"},
        {"oci", cmd_oci, "The OCI runtime, with runc's command line (also installed as rctr-oci)"},
        {"pause", cmd_pause, "Freeze the processes of running containers"},
        {"port", cmd_port, "List a container's published ports"},
        {"ps", cmd_ps, "List containers"},
        {"pull", HEAVY(cmd_pull), "Copy an image from a registry into the store"},
        {"rename", cmd_rename, "Give a container a new name"},
        {"restart", cmd_restart, "Stop and start containers"},
        {"rm", cmd_rm, "Remove containers"},
        {"rmi", cmd_rmi, "Remove images"},
        {"run", cmd_run, "Run a command in a new container"},
        {"save", HEAVY(cmd_save), "Write images to a docker-archive or oci-archive"},
        {"start", cmd_start, "Start created or exited containers"},
        {"stop", cmd_stop, "Stop running containers"},
        {"system", cmd_system, "Manage rctr: df (space the store takes), prune, reset"},
        {"tag", cmd_tag, "Give an image more names"},
        {"top", cmd_top, "Show the processes of a running container"},
        {"unpause", cmd_unpause, "Thaw the processes of paused containers"},
        {"unshare", cmd_unshare, "Run a command inside rctr's rootless user namespace"},
        {"untag", cmd_untag, "Remove names from an image"},
        {"version", HEAVY(cmd_version), "Show the rctr version"},
        {"volume", cmd_volume, "Manage named volumes: create, ls, inspect, rm, prune, exists"},
        {"wait", cmd_wait, "Wait for containers to exit and print their exit codes"},
        {NULL, NULL, NULL},
};
