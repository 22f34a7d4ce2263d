#!/usr/bin/env bats
# Containers without a daemon (issue 6): run/create/start/ps/logs/exec/attach/stop/kill/wait/rm/
# inspect as the unprivileged user, against the busybox fixture from the local registry: exit
# codes, the monitor (logs, attach, exit records, surviving a killed monitor), terminals, the
# flags users pass, copy-on-write, parallel runs leaving nothing behind, Makefile recipes.

load helpers

setup() {
        containers_setup
}

teardown() {
        containers_teardown
}

# wait_for_file_line FILE TEXT: until FILE has a line TEXT (10 s at most)
wait_for_file_line() {
        local i
        for i in $(seq 100); do
                grep -qx "$2" "$1" 2>/dev/null && return 0
                sleep 0.1
        done
        echo "# $1 never had a line $2" >&2
        return 1
}

# wait_for_log_line CONTAINER TEXT: until the container's log has a line TEXT (10 s at most)
wait_for_log_line() {
        local i
        for i in $(seq 100); do
                rctr logs "$1" 2>/dev/null | grep -qx "$2" && return 0
                sleep 0.1
        done
        echo "# the log of $1 never had a line $2" >&2
        return 1
}

# processes of this test's containers and monitors that are still alive (zombies do not count:
# init reaps orphans when it gets to it)
live_processes() {
        local pid
        for pid in $(pgrep -u "$(id -u)" -f "rctr-monitor|sleep 4242" 2>/dev/null); do
                [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = Z ] && continue
                grep -qs "$RCTR_ROOT" "/proc/$pid/cmdline" && echo "$pid"
        done
        return 0
}

@test "run --rm: output, exit codes 0/7/125/126/127, nothing left" {
        run_rctr run --rm bb echo hi
        assert_output hi
        run_rctr 7 run --rm bb sh -c 'exit 7'
        run_rctr 125 run --rm --no-such-flag bb true
        assert_output "rctr: run: unknown flag --no-such-flag (see rctr run --help)"
        run_rctr 126 run --rm bb /etc/passwd
        assert_output --partial "permission denied"
        [ "${#lines[@]}" -eq 1 ]
        run_rctr 127 run --rm bb no-such-command
        assert_output --partial 'exec: "no-such-command": executable file not found in $PATH'
        run_rctr 125 run --rm --pull never no-such-image:1 true
        assert_output --partial "rctr: run: no-such-image:1: image not known"
        run_rctr 125 run --rm -q --tls-verify=false "$RCTR_REGISTRY/no-such-image:1" true
        [ "${#lines[@]}" -eq 1 ]
        assert_output --partial "manifest unknown"
        run_rctr ps -a -q
        assert_output ""
}

@test "refused flags: -p, --memory, --cpus, --pids-limit, --network slirp4netns, --restart always" {
        local f
        for f in "-p 8080:80" "--memory 64m" "--cpus 1" "--pids-limit 10" \
                "--network slirp4netns" "--restart always"; do
                # shellcheck disable=SC2086
                run_rctr 125 run --rm $f bb true
                assert_output --partial "not supported yet"
                [ "${#lines[@]}" -eq 1 ]
        done
        run_rctr ps -a -q
        assert_output ""
}

@test "run -d, ps, logs, logs -f, exec, stop -t, inspect, rm" {
        run_rctr run -d --name w bb sh -c 'while :; do echo tick; sleep 1; done'
        local id=$output
        [ "${#id}" -eq 64 ]
        run_rctr ps
        assert_line --regexp "^${id:0:12} +localhost/bb:latest +sh -c while :; do... +.* Up .* w$"
        run_rctr ps --format '{{.Names}} {{.State}}'
        assert_output "w running"
        sleep 1.5
        run_rctr logs w
        assert_line tick
        run_rctr logs -t --tail 1 w
        assert_output --regexp '^20[0-9-]+T[0-9:.]+Z tick$'
        # -f follows: ticks that come after it started
        run timeout 3 "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" logs -f --tail 0 w
        [ "$status" -eq 124 ]
        assert_line tick
        run_rctr exec w hostname
        assert_output "${id:0:12}"
        run_rctr exec w ps -o pid,args
        assert_line --regexp '^ +1 sh -c while'
        run_rctr exec -e FOO=bar -w /tmp w sh -c 'echo $FOO $(pwd)'
        assert_output "bar /tmp"
        run_rctr 4 exec w sh -c 'exit 4'
        run_rctr 127 exec w no-such-command
        run_rctr stop -t 2 w
        assert_output w
        run_rctr inspect w --format '{{.State.ExitCode}} {{.State.Status}} {{.State.Running}}'
        assert_output "137 exited false"
        run_rctr ps -a --format '{{.Status}}'
        assert_output --regexp '^Exited \(137\) .* ago$'
        run_rctr inspect w
        jq -e '.[0].Config.Cmd == ["sh","-c","while :; do echo tick; sleep 1; done"]' <<<"$output" >/dev/null
        run_rctr rm w
        assert_output "$id"
        run_rctr ps -a -q
        assert_output ""
        [ -z "$(live_processes)" ]
}

@test "rm refuses a running container; wait, kill -s, restart, start" {
        # pid 1 has no default action for SIGTERM: the container handles it
        run_rctr run -d --name k bb sh -c 'trap "exit 143" TERM; echo ready; while :; do sleep 0.1; done'
        # the trap must be set before the signal comes (pid 1 ignores what it has no handler for)
        wait_for_log_line k ready
        run_rctr 125 rm k
        assert_output --partial "cannot remove container"
        assert_output --partial "without force"
        run_rctr kill -s TERM k
        run_rctr wait k
        assert_output 143
        run_rctr restart k
        run_rctr inspect --format '{{.State.Status}} {{.RestartCount}}' k
        assert_output "running 1"
        run_rctr kill k
        run_rctr wait k
        assert_output 137
        run_rctr create --name c bb sh -c 'echo created; exit 3'
        run_rctr ps -a --format '{{.Names}} {{.Status}}' --filter name=c
        assert_output "c Created"
        run_rctr 3 start -a c
        assert_output created
        run_rctr start c
        run_rctr wait c
        assert_output 3
        run_rctr logs c
        assert_output "created
created"
        run_rctr 125 kill c
        assert_output --partial "is not running"
        run_rctr rm k c
        run_rctr 1 rm nope k2
        run_rctr 125 rm nope
        assert_output 'rctr: rm: no container with name or ID "nope" found'
}

@test "a killed monitor: ps still shows the container, rm -f cleans up" {
        run_rctr run -d --name m bb sleep 4242
        local id=$output monitor
        monitor=$(jq -r .monitorPid "$RCTR_ROOT/containers/$id/state.json")
        [ "$(cat "/proc/$monitor/comm")" = rctr-monitor ]
        kill -9 "$monitor"
        run_rctr ps -a --format '{{.Names}} {{.State}}'
        assert_output "m running"
        run_rctr rm -f m
        run_rctr ps -a -q
        assert_output ""
        [ -z "$(ls "$RCTR_ROOT/containers" | grep -v lock)" ]
        run "$RCTR" unshare cat /proc/self/mountinfo
        refute_output --partial "$RCTR_ROOT"
        [ -z "$(live_processes)" ]

        # the same with the container gone too: exited, exit code unknown
        run_rctr run -d --name m2 bb sleep 4242
        id=$output
        monitor=$(jq -r .monitorPid "$RCTR_ROOT/containers/$id/state.json")
        kill -9 "$monitor" "$(jq -r .pid "$RCTR_ROOT/containers/$id/state.json")"
        sleep 0.2
        run_rctr inspect --format '{{.State.Status}} {{.State.ExitCode}}' m2
        assert_output "exited -1"
        run "$RCTR" unshare cat /proc/self/mountinfo
        refute_output --partial "$RCTR_ROOT"
        run_rctr rm m2
}

@test "-it: a shell on a terminal, exit status, detach keys and attach" {
        pty_rctr 'expect:# ' 'send:echo $((6*7)); exit 3\r' -- run -it --rm bb sh
        [ "$status" -eq 3 ]
        assert_output --partial 42
        pty_rctr 'expect:# ' 'send:\x10\x11' -- run -it --name t bb sh
        [ "$status" -eq 0 ]
        run_rctr ps --format '{{.Names}} {{.State}}'
        assert_output "t running"
        pty_rctr 'sleep:0.3' 'send:echo at-$((1+1))\r' 'expect:at-2' 'send:exit 5\r' -- attach t
        [ "$status" -eq 5 ]
        run_rctr inspect --format '{{.State.ExitCode}}' t
        assert_output 5
        # Ctrl-C goes through the terminal to the container
        pty_rctr 'expect:# ' 'send:sleep 100\r' 'sleep:0.5' 'send:\x03' 'expect:# ' 'send:exit 9\r' -- run -it --rm bb sh
        [ "$status" -eq 9 ]
}

@test "-t: the terminal's size at start and when it changes" {
        pty_rctr 'size:33x77' 'expect:# ' 'send:stty size\r' 'expect:33 77' 'size:44x88' \
                'sleep:0.3' 'send:stty size; exit 0\r' 'expect:44 88' -- run -it --rm bb sh
        [ "$status" -eq 0 ]
}

@test "signals: the foreground CLI passes SIGTERM on (--sig-proxy); --rm holds when the CLI is killed" {
        # rctr itself, not the rctr function: $! must be its pid
        "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" run --rm --name sp bb sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done' \
                >"$BATS_TEST_TMPDIR/out" 2>&1 &
        local cli=$!
        wait_for_file_line "$BATS_TEST_TMPDIR/out" ready
        kill -TERM "$cli"
        local rc=0
        wait "$cli" || rc=$?
        [ "$rc" -eq 3 ] || { echo "# exit status $rc; output:"; sed 's/^/# /' "$BATS_TEST_TMPDIR/out"; false; }
        grep -q got-term "$BATS_TEST_TMPDIR/out"
        # the CLI killed outright: the monitor still removes the --rm container when it exits
        "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" run --rm --name gone bb \
                sh -c 'echo ready; sleep 1' >"$BATS_TEST_TMPDIR/out2" 2>&1 &
        cli=$!
        wait_for_file_line "$BATS_TEST_TMPDIR/out2" ready
        kill -KILL "$cli"
        run_rctr wait gone
        run_rctr ps -a -q
        assert_output ""
}

@test "--log-driver passthrough and none, --cidfile, --userns keep-id" {
        run_rctr run --rm --log-driver passthrough bb echo through
        assert_output through
        run_rctr run --name n --log-driver none bb echo nothing-logged
        assert_output nothing-logged
        run_rctr 125 logs n
        assert_output --partial "none driver"
        run_rctr run --rm --cidfile "$BATS_TEST_TMPDIR/cid" bb true
        [ "$(wc -c <"$BATS_TEST_TMPDIR/cid")" -eq 64 ]
        run_rctr 125 run --rm --cidfile "$BATS_TEST_TMPDIR/cid" bb true
        assert_output --partial "exists"
        run_rctr run --rm --userns keep-id bb id -u
        assert_output "$(id -u)"
        run_rctr 125 run -d --log-driver passthrough bb true
}

@test "-i without a terminal: stdin reaches the container, EOF ends it" {
        run bash -c "printf 'a\nb\n' | '$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' run -i --rm bb wc -l"
        assert_success
        assert_output 2
        # without -i the container reads nothing, even with stdin open
        run bash -c "echo x | '$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' run --rm bb cat"
        assert_success
        assert_output ""
}

@test "flags seen from inside: -v rw/ro, --tmpfs, --read-only, -w, -u, -e, --env-file, --hostname, --entrypoint, --cap-drop, --init" {
        local d="$BATS_TEST_TMPDIR/data"
        mkdir -p "$d"
        echo host >"$d/f"
        run_rctr run --rm -v "$d:/data" bb sh -c 'cat /data/f; echo ctr >/data/g'
        assert_output host
        [ "$(cat "$d/g")" = ctr ]
        run_rctr 1 run --rm -v "$d:/data:ro" bb sh -c 'echo x >/data/h'
        assert_output --partial "Read-only file system"
        run_rctr run --rm --tmpfs /t bb sh -c 'echo x >/t/x && grep " /t " /proc/mounts'
        assert_output --partial "tmpfs /t tmpfs"
        run_rctr 1 run --rm --read-only bb sh -c 'echo x >/x'
        assert_output --partial "Read-only file system"
        run_rctr run --rm --read-only bb sh -c 'echo x >/tmp/x && cat /tmp/x'
        assert_output x
        run_rctr run --rm -w /work/dir bb pwd
        assert_output /work/dir
        run_rctr run --rm -u 1000:1000 bb id
        assert_output --regexp "^uid=1000 gid=1000"
        printf 'A=1\n# comment\nB=two words\n' >"$BATS_TEST_TMPDIR/env"
        run_rctr run --rm -e C=3 --env-file "$BATS_TEST_TMPDIR/env" bb sh -c 'echo "$A|$B|$C"'
        assert_output "1|two words|3"
        run_rctr run --rm --hostname box bb hostname
        assert_output box
        run_rctr run --rm --entrypoint echo bb from entrypoint
        assert_output "from entrypoint"
        run_rctr run --rm --entrypoint '["sh","-c","echo json $0"]' bb arg
        assert_output "json arg"
        run_rctr run --rm --cap-drop ALL bb grep CapEff /proc/self/status
        assert_output --regexp 'CapEff:[[:space:]]+0000000000000000'
        run_rctr run --rm bb grep CapEff /proc/self/status
        refute_output --regexp 'CapEff:[[:space:]]+0000000000000000'
        # --init: pid 1 is rctr-init; an orphan's zombie is reaped
        run_rctr run --rm --init bb sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo'
        assert_output --partial "/run/rctr-init"
        run_rctr run --rm --init bb sh -c '(sleep 0.2 &) ; sleep 1; ps -o stat,comm | grep -c "^Z" || true'
        assert_output 0
}

@test "the default seccomp profile: on for run and exec, namespaces and keyrings denied, unconfined lifts it" {
        run_rctr run --rm bb grep Seccomp: /proc/self/status
        assert_output --regexp 'Seccomp:[[:space:]]+2'
        run_rctr 1 run --rm bb sh -c 'unshare -U true'
        assert_output --partial "Operation not permitted"
        run_rctr run --rm --security-opt seccomp=unconfined bb sh -c 'unshare -U true'
        run_rctr run --rm --security-opt seccomp=unconfined bb grep Seccomp: /proc/self/status
        assert_output --regexp 'Seccomp:[[:space:]]+0'
        run_rctr run --rm --privileged bb grep Seccomp: /proc/self/status
        assert_output --regexp 'Seccomp:[[:space:]]+0'
        run_rctr run -d --name s bb sleep 4242
        run_rctr exec s grep Seccomp: /proc/self/status
        assert_output --regexp 'Seccomp:[[:space:]]+2'
        run_rctr 1 exec s sh -c 'unshare -U true'
        run_rctr rm -f s
}

@test "copy-on-write: containers do not see each other's writes, the image stays, diff-free rm" {
        run_rctr run -d --name a bb sh -c 'rm /bin/ls; echo a >/only-a; sleep 4242'
        run_rctr run -d --name b bb sleep 4242
        sleep 0.5
        run_rctr 1 exec b cat /only-a
        run_rctr exec b ls /bin/ls
        assert_output /bin/ls
        run_rctr 1 exec a test -e /bin/ls
        run_rctr rm -f a b
        run_rctr run --rm bb ls /bin/ls
        assert_output /bin/ls
        run_rctr 1 run --rm bb cat /only-a
}

@test "16 parallel run --rm: all succeed, no mounts, processes or state left" {
        local i pids=() failed=0
        for i in $(seq 16); do
                rctr run --rm bb true &
                pids+=($!)
        done
        for i in "${pids[@]}"; do
                wait "$i" || failed=$((failed + 1))
        done
        [ "$failed" -eq 0 ]
        run_rctr ps -a -q
        assert_output ""
        [ -z "$(ls "$RCTR_ROOT/containers" | grep -v lock)" ]
        [ -z "$(find "$RCTR_RUNROOT/containers" "$RCTR_RUNROOT/oci" -mindepth 1)" ]
        run "$RCTR" unshare cat /proc/self/mountinfo
        refute_output --partial "$RCTR_ROOT"
        [ -z "$(live_processes)" ]
}

@test "a Makefile recipe: -v \$(CURDIR):/src -w /src, no terminal, stdin closed" {
        local d="$BATS_TEST_TMPDIR/proj"
        mkdir -p "$d"
        printf 'hello\n' >"$d/in.txt"
        cat >"$d/Makefile" <<EOF
RCTR = $RCTR --root $RCTR_ROOT --runroot $RCTR_RUNROOT
out.txt: in.txt
	\$(RCTR) run --rm -v \$(CURDIR):/src -w /src bb sh -c 'tr a-z A-Z <in.txt >out.txt && echo built'
EOF
        run bash -c "cd '$d' && make <&- 2>&1"
        assert_success
        assert_output --partial built
        [ "$(cat "$d/out.txt")" = HELLO ]
        run bash -c "cd '$d' && rm out.txt && make </dev/null 2>&1"
        assert_success
        [ "$(cat "$d/out.txt")" = HELLO ]
}

@test "what a killed create or rm leaves (.new-ID, .rm-ID) goes with the next create" {
        run_rctr create bb true
        mkdir -p "$RCTR_ROOT/containers/.new-0123abcd/storage" "$RCTR_ROOT/containers/.rm-4567cdef"
        echo '{}' >"$RCTR_ROOT/containers/.new-0123abcd/container.json"
        run_rctr ps -a -q
        [ "${#lines[@]}" -eq 1 ]
        run_rctr create bb true
        [ ! -e "$RCTR_ROOT/containers/.new-0123abcd" ]
        [ ! -e "$RCTR_ROOT/containers/.rm-4567cdef" ]
        run_rctr ps -a -q
        [ "${#lines[@]}" -eq 2 ]
}

@test "names: generated, unique, and an id prefix works" {
        run_rctr create bb true
        local id=$output
        run_rctr ps -a --format '{{.Names}}'
        assert_output --regexp '^[a-z]+_[a-z]+[0-9]*$'
        run_rctr create --name same bb true
        run_rctr 125 create --name same bb true
        assert_output --partial 'the container name "same" is already in use'
        run_rctr 125 create --name 'bad name' bb true
        run_rctr inspect --format '{{.Id}}' "${id:0:5}"
        assert_output "$id"
        run_rctr rm "${id:0:8}" same
}
