#!/usr/bin/env bats
# rctr-oci run: a container from a bundle in the foreground (issue 4: acceptance 1, parts of 3, 5).

load helpers

setup() {
        RCTR_OCI="$(dirname "$RCTR")/rctr-oci"
        # the default state root is under it: a test's own, never one a failed test left
        export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg"
        mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
        BUNDLE="$BATS_TEST_TMPDIR/bundle"
        oci_make_bundle "$BUNDLE"
}


# set_process KEY JSON-VALUE: edit config.json's process object
set_process() {
        oci_edit "$BUNDLE" ".process.$1 = \$v" --argjson v "$2"
}

set_args() {
        oci_set_args "$BUNDLE" "$@"
}

run_oci() {
        run "$RCTR_OCI" run --bundle "$BUNDLE" "ctr-$BATS_TEST_NUMBER"
}

@test "spec --rootless + run: echo hi prints hi; exit 3 exits 3" {
        set_args echo hi
        run_oci
        assert_success
        assert_output hi
        set_args sh -c 'exit 3'
        run_oci
        [ "$status" -eq 3 ]
}

@test "signals: killed by SIGKILL exits 137; SIGTERM to rctr-oci is forwarded to the container" {
        local pidf="$BATS_TEST_TMPDIR/pid"
        set_args sleep 60
        "$RCTR_OCI" run --pid-file "$pidf" --bundle "$BUNDLE" c1 &
        local oci=$!
        wait_for_file "$pidf"
        kill -KILL "$(cat "$pidf")"
        local st=0
        wait "$oci" || st=$?
        [ "$st" -eq 137 ]

        rm -f "$pidf"
        set_args sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
        "$RCTR_OCI" run --pid-file "$pidf" --bundle "$BUNDLE" c2 &
        oci=$!
        wait_for_file "$pidf"
        sleep 0.3 # let the shell install its trap
        kill -TERM "$oci"
        st=0
        wait "$oci" || st=$?
        [ "$st" -eq 42 ]
}

@test "inside: pid 1, the hostname, only the bundle's rootfs" {
        set_args sh -c 'echo $$; hostname; ls /'
        run_oci
        assert_success
        assert_line --index 0 1
        assert_line --index 1 rctr
        refute_line work
        refute_line usr
        assert_line bin
}

@test "inside: capabilities as configured, no_new_privs, /proc/sys read-only, masked paths" {
        set_args sh -c 'grep -E "^Cap(Bnd|Eff|Amb)" /proc/self/status; grep NoNewPrivs /proc/self/status; echo 1 > /proc/sys/kernel/ns_last_pid; cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l'
        run_oci
        # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
        assert_line "CapBnd:	0000000020000420"
        assert_line "CapEff:	0000000020000420"
        assert_line "CapAmb:	0000000000000000"
        assert_line "NoNewPrivs:	1"
        assert_output --partial 'Read-only file system'
        assert_line --index 5 0
        assert_line --index 6 0
}

@test "the command's errors: not found is 127, not executable 126, with one line" {
        # runc's wording: podman reads it to choose 127 or 126
        set_args /no/such/program
        run -127 --separate-stderr "$RCTR_OCI" run --bundle "$BUNDLE" c1
        [ "$stderr" = 'rctr-oci: run: exec: "/no/such/program": stat /no/such/program: no such file or directory' ]
        set_args no-such-program
        run -127 --separate-stderr "$RCTR_OCI" run --bundle "$BUNDLE" c1
        [ "$stderr" = 'rctr-oci: run: exec: "no-such-program": executable file not found in $PATH' ]
        set_args /etc/passwd
        run -126 --separate-stderr "$RCTR_OCI" run --bundle "$BUNDLE" c1
        [ "$stderr" = 'rctr-oci: run: exec: "/etc/passwd": permission denied' ]
        # create finds out before start, and leaves nothing behind
        set_args no-such-program
        run -127 --separate-stderr "$RCTR_OCI" create --bundle "$BUNDLE" c2 </dev/null
        [ "$stderr" = 'rctr-oci: create: exec: "no-such-program": executable file not found in $PATH' ]
        [ -z "$("$RCTR_OCI" list -q)" ]
}

@test "a terminal for --detach without --console-socket, a socket without a terminal and a bad config.json are clear errors" {
        run -125 --separate-stderr "$RCTR_OCI" run --console-socket "$BATS_TEST_TMPDIR/s" --bundle "$BUNDLE" c1
        [ "$stderr" = 'rctr-oci: run: --console-socket given but the process has no terminal (process.terminal is false)' ]
        set_process terminal true
        run -125 --separate-stderr "$RCTR_OCI" run -d --bundle "$BUNDLE" c1
        [ "$stderr" = 'rctr-oci: run: the process has a terminal: run --detach needs --console-socket to hand it to (or set process.terminal to false)' ]
        echo '{"ociVersion": "1.1.0", "root": {"path": "rootfs"}, "process": {"args": [], "cwd": "/"}}' >"$BUNDLE/config.json"
        run -125 --separate-stderr "$RCTR_OCI" run --bundle "$BUNDLE" c1
        [ "$stderr" = 'rctr-oci: run: config.json: process: args: empty (nothing to run)' ]
        run -125 --separate-stderr "$RCTR_OCI" run --bundle "$BATS_TEST_TMPDIR/nowhere" c1
        [[ "$stderr" == "rctr-oci: run: bundle $BATS_TEST_TMPDIR/nowhere: No such file or directory" ]]
}

@test "a symlink in the rootfs cannot send a mount outside it" {
        local outside="$BATS_TEST_TMPDIR/outside"
        mkdir -p "$outside"
        # /etc in the rootfs points at a host path; a bind mount goes to /etc/x
        rm -rf "$BUNDLE/rootfs/etc"
        ln -s "$outside" "$BUNDLE/rootfs/etc"
        mkdir -p "$BATS_TEST_TMPDIR/src"
        echo secret >"$BATS_TEST_TMPDIR/src/file"
        oci_edit "$BUNDLE" '.mounts += [{"destination": "/etc/x", "type": "bind", "source": $src, "options": ["rbind", "ro"]}]' \
                --arg src "$BATS_TEST_TMPDIR/src"
        set_args cat /etc/x/file
        run_oci
        assert_success
        assert_output secret
        # nothing was created or mounted in the host directory the symlink names
        run ls -A "$outside"
        assert_output ''
        # the mount landed inside the rootfs, under the same path
        [ -d "$BUNDLE/rootfs$outside/x" ]
}

@test "--pid-file gets the container's pid" {
        set_args sh -c 'echo $$'
        run "$RCTR_OCI" run --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" c1
        assert_success
        [ "$(cat "$BATS_TEST_TMPDIR/pid")" -gt 1 ]
}

@test "rro makes a bind mount read-only with its submounts; ro only its top" {
        # the host's /dev, with /dev/shm (tmpfs, 1777) mounted under it
        local name="rctr-rro-$BATS_TEST_NUMBER-$$"
        oci_edit "$BUNDLE" '.mounts += [{"destination": "/hostdev", "type": "bind", "source": "/dev", "options": ["rbind", "rro"]}]'
        set_args sh -c "touch /hostdev/shm/$name && echo wrote; [ -e /hostdev/null ] && echo has-null"
        run_oci
        assert_output --partial 'Read-only file system'
        refute_line wrote
        assert_line has-null
        [ ! -e "/dev/shm/$name" ]
        # plain ro leaves the submount writable: that is what rro is for
        oci_edit "$BUNDLE" '.mounts[-1].options = ["rbind", "ro"]'
        run_oci
        assert_line wrote
        rm -f "/dev/shm/$name"
}
