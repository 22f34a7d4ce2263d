#!/usr/bin/env bats
# rctr-oci run --detach, exec, terminals (--console-socket and the foreground relay),
# --preserve-fds, --no-pivot (issue 4, acceptance 4).

load helpers

setup() {
        oci_setup
        RECEIVER="$RCTR_FIXTURES/console-receiver.py"
        # pid 1 ignores signals it does not handle: the command traps TERM, as a service would
        oci_edit "$BUNDLE" '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 0.1; done"] | .hostname = "boxy"'
}

teardown() {
        oci_teardown
}

# run -d hands its stdio to the container: files, never bats' pipes.
oci_detached() {
        status=0
        "$RCTR_OCI" --root "$STATE" "$@" </dev/null >"$BATS_TEST_TMPDIR/detached.out" 2>&1 ||
                status=$?
        output=$(cat "$BATS_TEST_TMPDIR/detached.out")
}

@test "run --detach returns with the container running; its pid file is written" {
        oci_detached run -d --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" c1
        [ "$status" -eq 0 ]
        [ "$(oci state c1 | jq -r .status)" = running ]
        [ "$(oci state c1 | jq -r .pid)" = "$(cat "$BATS_TEST_TMPDIR/pid")" ]
        # no process of rctr-oci stays behind: the init's parent is not an rctr-oci
        local ppid
        ppid=$(awk '/^PPid:/ {print $2}' "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/status")
        [[ "$(cat "/proc/$ppid/comm")" != rctr* ]]
        oci kill c1 TERM
        oci delete --force c1
}

@test "exec joins the container's namespaces; exit statuses pass through" {
        oci_detached run -d --bundle "$BUNDLE" c1
        [ "$status" -eq 0 ]
        run oci exec c1 sh -c 'for n in pid mnt uts ipc net user cgroup; do
                [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo "not in $n"
                done; hostname; cat /proc/1/cmdline | tr "\0" " "; echo'
        assert_success
        assert_line boxy
        assert_line 'sh -c trap "exit 0" TERM; while :; do sleep 0.1; done '
        refute_output --partial 'not in'
        # the container's files, not the host's
        touch "$BUNDLE/rootfs/rootfs-mark"
        run oci exec c1 ls /
        assert_success
        assert_line rootfs-mark
        refute_line work
        run oci exec c1 sh -c 'exit 4'
        [ "$status" -eq 4 ]
        run -127 oci exec c1 no-such-command
        assert_output --partial 'no-such-command'
        run -126 oci exec c1 /etc/passwd
        run oci exec c1 sh -c 'kill -9 $$'
        [ "$status" -eq 137 ]
}

@test "exec -e --cwd -u -g --cap --no-new-privs; --process FILE" {
        # map 2000 ids (the user's own and 1999 subordinate ones): a user 1000 exists inside
        oci_edit "$BUNDLE" '.linux.uidMappings = [{"containerID": 0, "hostID": $uid, "size": 1},
                        {"containerID": 1, "hostID": $subuid, "size": 1999}] |
                .linux.gidMappings = [{"containerID": 0, "hostID": $gid, "size": 1},
                        {"containerID": 1, "hostID": $subgid, "size": 1999}]' \
                --argjson uid "$(id -u)" --argjson gid "$(id -g)" \
                --argjson subuid "$(rctr_subuid_start)" --argjson subgid "$(rctr_subgid_start)"
        oci_detached run -d --bundle "$BUNDLE" c1
        [ "$status" -eq 0 ]
        run oci exec -e FOO=bar -e PATH=/bin --cwd /tmp -u 1000:1001 -g 5 c1 \
                sh -c 'echo "$FOO $PATH"; pwd; id'
        assert_success
        assert_line 'bar /bin'
        assert_line /tmp
        assert_line 'uid=1000 gid=1001 groups=5'
        run oci exec --no-new-privs c1 grep NoNewPrivs /proc/self/status
        assert_output --regexp 'NoNewPrivs:[[:space:]]+1'
        # CAP_SYS_ADMIN (21) is not in the rootless default set; --cap adds it
        run oci exec c1 grep CapEff /proc/self/status
        [ $(( 0x$(awk '{print $2}' <<<"$output") >> 21 & 1 )) -eq 0 ]
        run oci exec --cap CAP_SYS_ADMIN c1 grep CapEff /proc/self/status
        [ $(( 0x$(awk '{print $2}' <<<"$output") >> 21 & 1 )) -eq 1 ]
        jq '.process | .args = ["sh", "-c", "echo from-file $X; pwd"] | .env = ["X=1"] | .cwd = "/etc"' \
                "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
        run oci exec --process "$BATS_TEST_TMPDIR/process.json" c1
        assert_success
        assert_line 'from-file 1'
        assert_line /etc
        run oci exec c1
        [ "$status" -ne 0 ]
        assert_output --partial 'no command given'
        run oci exec nosuch true
        [ "$status" -ne 0 ]
        assert_output --partial 'nosuch'
}

@test "exec -d --pid-file leaves the process running; -t with --console-socket gives a terminal" {
        oci_detached run -d --bundle "$BUNDLE" c1
        [ "$status" -eq 0 ]
        oci exec -d --pid-file "$BATS_TEST_TMPDIR/xpid" c1 sleep 30 </dev/null >/dev/null 2>&1
        local xpid
        xpid=$(cat "$BATS_TEST_TMPDIR/xpid")
        [ "$(cat "/proc/$xpid/comm")" = sleep ]
        [ "$(readlink "/proc/$xpid/ns/pid")" = "$(readlink "/proc/$(oci state c1 | jq -r .pid)/ns/pid")" ]

        local sock="$BATS_TEST_TMPDIR/console.sock"
        /usr/bin/python3 "$RECEIVER" "$sock" $'stty size; tty; echo $((6*7)); exit 5\n' \
                >"$BATS_TEST_TMPDIR/term.out" &
        local receiver=$!
        wait_for_file "$sock"
        oci exec -t -d --console-socket "$sock" c1 sh </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1
        wait "$receiver"
        run cat "$BATS_TEST_TMPDIR/term.out"
        assert_output --partial /dev/pts/0
        assert_line --partial 42
        # without -t there is no terminal to send
        run oci exec --console-socket "$sock" c1 true
        [ "$status" -ne 0 ]
        assert_output --partial 'no terminal'
}

@test "create with a terminal sends it to --console-socket; without a socket it is refused" {
        oci_edit "$BUNDLE" '.process.terminal = true | .process.args = ["sh"] |
                .process.consoleSize = {"height": 33, "width": 99}'
        run oci create --bundle "$BUNDLE" c1
        [ "$status" -ne 0 ]
        assert_output --partial 'needs --console-socket'
        [ -z "$(oci list -q)" ]

        local sock="$BATS_TEST_TMPDIR/console.sock"
        /usr/bin/python3 "$RECEIVER" "$sock" $'stty size; tty; exit 3\n' >"$BATS_TEST_TMPDIR/term.out" &
        local receiver=$!
        wait_for_file "$sock"
        oci create --bundle "$BUNDLE" --console-socket "$sock" c1 </dev/null >/dev/null 2>&1
        oci start c1
        wait "$receiver"
        run cat "$BATS_TEST_TMPDIR/term.out"
        assert_line --partial '33 99'
        assert_line --partial /dev/pts/0
}

@test "run in the foreground with a terminal relays it (under script)" {
        oci_edit "$BUNDLE" '.process.terminal = true | .process.args = ["sh"]'
        run script -qec "stty cols 91 rows 17; '$RCTR_OCI' --root '$STATE' run --bundle '$BUNDLE' c1" \
                /dev/null <<<$'stty size; echo $((6*7)); exit 3'
        [ "$status" -eq 3 ]
        assert_line --partial '17 91'
        assert_line --partial 42
}

@test "--preserve-fds passes fds 3.. on; other fds are closed; --no-pivot runs" {
        oci_edit "$BUNDLE" '.process.args = ["sh", "-c", "cat <&3; [ -e /proc/self/fd/7 ] && echo leaked-7; true"]'
        echo through-fd-3 >"$BATS_TEST_TMPDIR/in"
        run bash -c "exec 7</dev/null; '$RCTR_OCI' --root '$STATE' run --preserve-fds 1 --bundle '$BUNDLE' c1 3<'$BATS_TEST_TMPDIR/in'"
        assert_success
        assert_line through-fd-3
        refute_line leaked-7
        run oci run --preserve-fds 9 --bundle "$BUNDLE" c2
        [ "$status" -ne 0 ]
        assert_output --partial 'not open'
        oci_edit "$BUNDLE" '.process.args = ["sh", "-c", "echo ok; ls /"]'
        touch "$BUNDLE/rootfs/rootfs-mark"
        run oci run --no-pivot --bundle "$BUNDLE" c3
        assert_success
        assert_line ok
        assert_line rootfs-mark
        refute_line work
}

@test "kill --all signals every process; pause without a cgroup of its own is a clear error" {
        oci_detached run -d --bundle "$BUNDLE" c1
        [ "$status" -eq 0 ]
        # a second process that exits on TERM: --all reaches it, not only the init
        oci exec -d --pid-file "$BATS_TEST_TMPDIR/xpid" c1 sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' \
                </dev/null >/dev/null 2>&1
        local xpid
        xpid=$(cat "$BATS_TEST_TMPDIR/xpid")
        run oci ps --format json c1
        [ "$(jq length <<<"$output")" -ge 2 ]
        run -125 oci pause c1
        assert_output --partial 'no cgroup of its own'
        [ "$(oci state c1 | jq -r .status)" = running ]
        oci kill --all c1 TERM
        local i
        for i in $(seq 100); do
                [ "$(oci state c1 | jq -r .status)" = stopped ] && [ ! -e "/proc/$xpid/ns" ] && break
                sleep 0.05
        done
        [ "$(oci state c1 | jq -r .status)" = stopped ]
}
