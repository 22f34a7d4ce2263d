#!/usr/bin/env bats
# podman as a real client of rctr-oci: `podman --runtime rctr-oci run --rm IMAGE echo ok`,
# run -d + stop + rm, exec and run -it, rootless, each compared with runc where it is installed
# (the reference: crun, podman's default, refuses this machine's hybrid cgroups).
#
# podman runs conmon, which runs `rctr-oci create/start/kill/delete/state/exec` inside podman's
# own user namespace (uid 0 there, the user's subordinate ids mapped), with an environment cut
# down to XDG_RUNTIME_DIR (and PATH for some verbs): no HOME.
#
# Each test has its own podman: storage, run root and tmpdir (where podman's pause process
# records itself) under $BATS_TEST_TMPDIR, no containers.conf of the user's, the vfs driver,
# cgroupfs (no systemd here) and file events (no journald). The busybox fixture is pulled from
# the suite's OCI layout ($RCTR_BUSYBOX_OCI): no network.

load helpers

IMAGE=localhost/busybox:latest

setup() {
        command -v podman >/dev/null ||
                skip "podman is not installed (apt-get install podman)"
        RCTR_OCI="$(dirname "$RCTR")/rctr-oci"
        RUNC=$(command -v runc || true)
        export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg"
        mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
        PM="$BATS_TEST_TMPDIR/podman"
        mkdir -p "$PM/home" "$PM/tmp"
        # this test's podman: the system's containers.conf (Debian's default_sysctls and all), none
        # of the user's (a script: script(1) runs it too); a runtime that hangs costs 2 minutes
        # (conmon gives up on an exec after 4), not the whole run
        printf '%s\n' '#!/bin/sh' \
                "export HOME='$PM/home' XDG_CONFIG_HOME='$PM/home/.config' XDG_DATA_HOME='$PM/home/.local/share'" \
                "exec timeout --foreground -k 10 120 podman --root '$PM/root' --runroot '$PM/runroot' --tmpdir '$PM/tmp' --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \"\$@\"" \
                >"$PM/podman"
        chmod +x "$PM/podman"
        # podman names the image after the layout's path, which must be lowercase: a relative one
        ln -s "$RCTR_BUSYBOX_OCI" "$PM/busybox"
        (cd "$PM" && pm pull -q oci:busybox:latest) >"$PM/pull.out" 2>&1 ||
                { cat "$PM/pull.out"; false; }
}

teardown() {
        [ -n "${PM:-}" ] && [ -x "$PM/podman" ] || return 0
        # stops every container (and its conmon), whichever runtime made it
        pm --runtime "$RCTR_OCI" rm -a -f -t 0 >/dev/null 2>&1 || true
        [ -z "$RUNC" ] || pm --runtime "$RUNC" rm -a -f -t 0 >/dev/null 2>&1 || true
        # a runtime whose start or delete failed leaves conmon (its children: the container's init)
        # and slirp4netns behind: this test's, by the paths on their command lines
        local p comm c
        while read -r p comm; do
                case "$comm" in
                conmon) tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- " $PM/" || continue ;;
                slirp4netns) tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
                        grep -qF -- " $XDG_RUNTIME_DIR/" || continue ;;
                *) continue ;;
                esac
                for c in $(pgrep -P "$p"); do
                        kill -9 "$c" 2>/dev/null || true
                done
                kill "$p" 2>/dev/null || true
        done < <(ps -u "$(id -u)" -o pid=,comm=)
        # the store holds files of subordinate ids: remove it from podman's user namespace
        pm unshare rm -rf "$PM/root" "$PM/runroot" >/dev/null 2>&1 || true
        p=$(cat "$PM/tmp/pause.pid" 2>/dev/null) || p=
        if [ -n "$p" ] && [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == @(catatonit|podman) ]]; then
                kill "$p" 2>/dev/null || true
        fi
        rctr_kill_pause "$XDG_RUNTIME_DIR"
}

# pm ARGS...: this test's podman
pm() {
        "$PM/podman" "$@"
}

# run_pm RUNTIME [EXPECTED_STATUS] ARGS...: `run --separate-stderr pm --runtime RUNTIME ARGS`
# (podman warns on stderr, e.g. that / is not a shared mount); shows all on a wrong status.
run_pm() {
        local runtime=$1 expected=0
        shift
        case "${1:-}" in
        [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) expected=$1; shift ;;
        esac
        if [ "$expected" -eq 127 ]; then # bats warns of a 127 it was not told to expect
                run -127 --separate-stderr "$PM/podman" --runtime "$runtime" "$@"
        else
                run --separate-stderr "$PM/podman" --runtime "$runtime" "$@"
        fi
        if [ "$status" -ne "$expected" ]; then
                printf '# $ podman --runtime %s %s\n# exit status %s, expected %s\n' \
                        "$runtime" "$*" "$status" "$expected"
                printf '%s\n' "$output" | sed 's/^/# out> /'
                printf '%s\n' "$stderr" | sed 's/^/# err> /'
                false
        fi
}

# run_script EXPECTED_STATUS COMMAND: COMMAND on a terminal of script(1), which passes our stdin
# on; shows it all on a wrong status.
run_script() {
        run script -qec "$2" /dev/null
        if [ "$status" -ne "$1" ]; then
                printf '# $ script -qec %s\n# exit status %s, expected %s\n' "$2" "$status" "$1"
                printf '%s\n' "$output" | sed 's/^/# > /'
                false
        fi
}

# the runtimes to check: runc first (the reference) when it is installed, then rctr-oci
runtimes() {
        [ -z "$RUNC" ] || echo "$RUNC"
        echo "$RCTR_OCI"
}

@test "podman --runtime rctr-oci run --rm IMAGE echo ok prints ok (as runc does)" {
        local rt
        for rt in $(runtimes); do
                run_pm "$rt" run --rm "$IMAGE" echo ok
                [ "$output" = ok ]
        done
        # --rm left nothing: no container in podman, no state in the runtime's state directory
        run_pm "$RCTR_OCI" ps -a -q
        [ -z "$output" ]
        [ -z "$(ls -A "$XDG_RUNTIME_DIR/rctr-oci" 2>/dev/null)" ]
}

@test "podman run: exit statuses, user, env, workdir" {
        local rt
        for rt in $(runtimes); do
                run_pm "$rt" 3 run --rm "$IMAGE" sh -c 'exit 3'
                run_pm "$rt" 127 run --rm "$IMAGE" no-such-command
                run_pm "$rt" 126 run --rm "$IMAGE" /etc/passwd
                run_pm "$rt" run --rm -u 1000:1000 -e FOO=bar -w /tmp "$IMAGE" \
                        sh -c 'echo "$FOO"; pwd; id -u; id -g'
                [ "$output" = $'bar\n/tmp\n1000\n1000' ]
        done
}

@test "podman run of a missing command says which (runc fails create with it)" {
        local rt
        for rt in $(runtimes); do
                run_pm "$rt" 127 run --rm "$IMAGE" no-such-command
                [[ "$stderr" == *no-such-command* ]] ||
                        { printf '# runtime %s: stderr of podman:\n%s\n' "$rt" "$stderr"; false; }
        done
}

@test "podman run -d, stop, rm (and stop escalating to SIGKILL)" {
        local rt id
        for rt in $(runtimes); do
                # pid 1 ignores signals it does not handle: trap TERM, as a service would
                run_pm "$rt" run -d "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
                id=${output##*$'\n'}
                run_pm "$rt" inspect -f '{{.State.Status}}' "$id"
                [ "$output" = running ]
                SECONDS=0
                run_pm "$rt" stop "$id"
                [ "$SECONDS" -lt 8 ] # TERM did it: no wait for the 10 s timeout
                run_pm "$rt" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id"
                [ "$output" = 'exited 0' ]
                run_pm "$rt" rm "$id"
                run_pm "$rt" ps -a -q
                [ -z "$output" ]

                # a command that ignores TERM: stop -t 1 kills it
                run_pm "$rt" run -d "$IMAGE" sleep 1000
                id=${output##*$'\n'}
                run_pm "$rt" stop -t 1 "$id"
                run_pm "$rt" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id"
                [ "$output" = 'exited 137' ]
                run_pm "$rt" rm "$id"
        done
        [ -z "$(ls -A "$XDG_RUNTIME_DIR/rctr-oci" 2>/dev/null)" ]
}

@test "podman exec joins the container; statuses, stdin, -u/-e/-w, -d" {
        local rt
        for rt in $(runtimes); do
                run_pm "$rt" run -d --name ex1 --hostname boxy "$IMAGE" \
                        sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
                run_pm "$rt" exec ex1 sh -c 'for n in pid mnt uts ipc net; do
                        [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo "not in $n"
                        done; hostname'
                [ "$output" = boxy ]
                run_pm "$rt" 4 exec ex1 sh -c 'exit 4'
                run_pm "$rt" 127 exec ex1 no-such-command
                run_pm "$rt" exec -i ex1 cat <<<through-stdin
                [ "$output" = through-stdin ]
                run_pm "$rt" exec -u 1000:1000 -e FOO=bar -w /tmp ex1 sh -c 'echo "$FOO"; pwd; id -u'
                [ "$output" = $'bar\n/tmp\n1000' ]
                run_pm "$rt" exec -d ex1 sh -c 'echo detached >/tmp/mark'
                run_pm "$rt" exec ex1 sh -c 'for i in $(seq 50); do [ -e /tmp/mark ] && break; sleep 0.1; done; cat /tmp/mark'
                [ "$output" = detached ]
                run_pm "$rt" rm -f -t 0 ex1
        done
}

@test "podman run -it and exec -it give a terminal (under script)" {
        local rt
        for rt in $(runtimes); do
                # typed commands: a short command's output can be lost before podman attaches
                run_script 3 "stty cols 91 rows 17; '$PM/podman' --runtime '$rt' run -it --rm '$IMAGE' sh" \
                        <<<$'tty; stty size; echo $((6*7)); exit 3'
                assert_line --partial /dev/pts/0
                assert_line --partial '17 91'
                assert_line --partial 42

                run_pm "$rt" run -d --name tt1 "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
                run_script 5 "stty cols 77 rows 22; '$PM/podman' --runtime '$rt' exec -it tt1 sh" \
                        <<<$'tty; stty size; echo $((6*8)); exit 5'
                assert_line --partial /dev/pts/
                assert_line --partial '22 77'
                assert_line --partial 48
                run_pm "$rt" rm -f -t 0 tt1
        done
}

@test "podman run --read-only and --tmpfs: tmpfs mounts with tmpcopyup" {
        local rt
        for rt in $(runtimes); do
                run_pm "$rt" run --rm --read-only "$IMAGE" \
                        sh -c 'touch /x 2>/dev/null && echo rootfs-writable; touch /tmp/y && echo tmp-ok'
                [ "$output" = tmp-ok ]
                run_pm "$rt" run --rm --tmpfs /scratch:size=1m "$IMAGE" sh -c 'grep " /scratch " /proc/mounts'
                [[ "$output" == *'tmpfs /scratch tmpfs'* ]]
                # tmpcopyup: the new tmpfs starts with what the image had there
                run_pm "$rt" run --rm --tmpfs /etc "$IMAGE" sh -c 'grep -c " /etc tmpfs" /proc/mounts; head -1 /etc/passwd'
                [ "$output" = $'1\nroot:x:0:0:root:/root:/bin/sh' ]
        done
}

@test "podman run --userns keep-id: uidMappings in podman's user namespace" {
        local rt
        for rt in $(runtimes); do
                # hostIDs are ids of podman's user namespace, where conmon runs the runtime (its
                # uid 0 is the user)
                run_pm "$rt" run --rm --userns keep-id "$IMAGE" id -u
                [ "$output" = "$(id -u)" ]
        done
}
