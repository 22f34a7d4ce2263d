#!/usr/bin/env bats
# rctr unshare and the rootless user namespace behind it (issue 3, acceptance 2-4).

load helpers

pause_pid() {
        cat "$XDG_RUNTIME_DIR/rctr/pause.pid"
}

@test "the namespace maps the user to 0 and the subuid range from 1" {
        run_rctr unshare cat /proc/self/uid_map
        assert_line --index 0 --regexp "^ +0 +$(id -u) +1$"
        assert_line --index 1 --regexp "^ +1 +$(rctr_subuid_start) +$(rctr_subuid_count)$"
        run_rctr unshare cat /proc/self/gid_map
        assert_line --index 0 --regexp "^ +0 +$(id -g) +1$"
        assert_line --index 1 --regexp "^ +1 +$(rctr_subgid_start) +$(rctr_subgid_count)$"
}

@test "unshare id -u prints 0" {
        run_rctr unshare id -u
        assert_output 0
}

@test "files made inside belong to the user; chown 1:1 gives the first subordinate ids" {
        local f="$HOME/.rctr-test-$BATS_TEST_NUMBER-$$"
        rm -f "$f"
        run_rctr unshare touch "$f"
        [ "$(stat -c %u:%g "$f")" = "$(id -u):$(id -g)" ]
        run_rctr unshare chown 1:1 "$f"
        [ "$(stat -c %u:%g "$f")" = "$(rctr_subuid_start):$(rctr_subgid_start)" ]
        run_rctr unshare rm "$f"
        [ ! -e "$f" ]
}

@test "the command's exit status passes through; 126 and 127 as podman" {
        run_rctr 7 unshare sh -c 'exit 7'
        run -127 --separate-stderr "$RCTR" unshare no-such-command-xyz
        [ "$stderr" = 'rctr: unshare: execute no-such-command-xyz: No such file or directory' ]
        run -126 --separate-stderr "$RCTR" unshare /etc/passwd
        [ "$stderr" = 'rctr: unshare: execute /etc/passwd: Permission denied' ]
}

@test "options after the command belong to it; no command runs \$SHELL" {
        run_rctr unshare id -u -n
        assert_output root
        run bash -c "echo 'id -u' | SHELL=/bin/sh '$RCTR' unshare"
        assert_success
        assert_output 0
}

@test "ten invocations at once share one pause process and one namespace" {
        local i
        for i in $(seq 10); do
                "$RCTR" unshare readlink /proc/self/ns/user >"$BATS_TEST_TMPDIR/ns.$i" 2>&1 &
        done
        local failed=0 pid
        for pid in $(jobs -p); do
                wait "$pid" || failed=$((failed + 1))
        done
        [ "$failed" -eq 0 ]
        [ "$(cat "$BATS_TEST_TMPDIR"/ns.* | sort -u | wc -l)" -eq 1 ]
        run readlink "/proc/$(pause_pid)/ns/user"
        assert_output "$(cat "$BATS_TEST_TMPDIR/ns.1")"
        # exactly one live pause process for this runtime dir
        [ "$(cat "/proc/$(pause_pid)/comm")" = rctr-pause ]
}

@test "after kill -9 of the pause process the next invocation makes a new one" {
        run_rctr unshare true
        local old
        old=$(pause_pid)
        kill -9 "$old"
        run_rctr unshare true
        local new
        new=$(pause_pid)
        [ "$new" != "$old" ]
        [ "$(cat "/proc/$new/comm")" = rctr-pause ]
        run_rctr unshare readlink /proc/self/ns/user
        assert_output "$(readlink "/proc/$new/ns/user")"
}

@test "a stale pause.pid naming another process is not joined" {
        mkdir -p "$XDG_RUNTIME_DIR/rctr"
        sleep 60 &
        local other=$!
        echo "$other" >"$XDG_RUNTIME_DIR/rctr/pause.pid"
        run_rctr unshare true
        kill "$other"
        [ "$(pause_pid)" != "$other" ]
        [ "$(cat "/proc/$(pause_pid)/comm")" = rctr-pause ]
}

@test "the pause process holds no lock and is not a child of the command run" {
        run_rctr unshare sh -c 'echo $$'
        local shpid="$output"
        run flock -n "$XDG_RUNTIME_DIR/rctr/pause.lock" true
        assert_success
        run awk '/^PPid:/ { print $2 }' "/proc/$(pause_pid)/status"
        [ "$output" != "$shpid" ]
        # its own session: a terminal's Ctrl-C cannot reach it
        run ps -o sid= -p "$(pause_pid)"
        [ "$(echo $output)" = "$(pause_pid)" ]
}

@test "the current directory is kept inside the namespace" {
        cd "$BATS_TEST_TMPDIR"
        run_rctr unshare pwd
        assert_output "$BATS_TEST_TMPDIR"
}

@test "newuidmap that is not setuid: one line, exit 125" {
        mkdir -p "$BATS_TEST_TMPDIR/bin"
        cp /usr/bin/newuidmap /usr/bin/newgidmap "$BATS_TEST_TMPDIR/bin/"
        PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -125 --separate-stderr "$RCTR" unshare true
        [ "$stderr" = "rctr: unshare: enter rootless user namespace: $BATS_TEST_TMPDIR/bin/newuidmap is neither setuid root nor has file capabilities (reinstall it: apt-get install --reinstall uidmap)" ]
        [ ! -e "$XDG_RUNTIME_DIR/rctr/pause.pid" ]
}

@test "newuidmap missing: one line naming the package, exit 125" {
        run -125 --separate-stderr env PATH=/nonexistent "$RCTR" unshare /bin/true
        [ "$stderr" = 'rctr: unshare: enter rootless user namespace: newuidmap not found in PATH (install the Debian package uidmap: apt-get install uidmap)' ]
}

@test "XDG_RUNTIME_DIR unset or not ours: a private /tmp/rctr-UID, said at debug level" {
        local dir="/tmp/rctr-$(id -u)"
        run env -u XDG_RUNTIME_DIR "$RCTR" --log-level=debug unshare true
        assert_success
        assert_output --partial "using $dir"
        [ "$(stat -c %a:%u "$dir")" = "700:$(id -u)" ]
        local pid
        pid=$(cat "$dir/rctr/pause.pid")
        XDG_RUNTIME_DIR=/ run env "$RCTR" unshare readlink /proc/self/ns/user
        assert_success
        assert_output "$(readlink "/proc/$pid/ns/user")"
        kill "$pid"
}
