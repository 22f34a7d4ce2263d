#!/bin/bash
# rctr-init without containers (TAP, run by `make check`): exit statuses, exec failures, signal
# forwarding and zombie reaping, first as a child subreaper in our own pid namespace, then as
# pid 1 of a new one (`unshare --user --map-root-user --pid`, as root or as a user), and last
# in a root filesystem holding only busybox-static, where no libc could be loaded.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
init=${RCTR_INIT:-$top_builddir/rctr-init}
work=$(mktemp -d "${TMPDIR:-/tmp}/rctr-test-init.XXXXXX")
n=0
failed=0

cleanup() {
        rm -rf "$work"
}
trap cleanup EXIT

ok() {
        n=$((n + 1))
        echo "ok $n - $1"
}
not_ok() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
        shift
        for line in "$@"; do
                echo "#   $line"
        done
}
skip() {
        n=$((n + 1))
        echo "ok $n - $1 # SKIP $2"
}
# check NAME WANT GOT [DETAIL...]
check() {
        local name=$1 want=$2 got=$3
        shift 3
        if [ "$want" = "$got" ]; then
                ok "$name"
        else
                not_ok "$name" "want: $want" "got:  $got" "$@"
        fi
}

# run_init [ARGS...]: rctr-init with a time limit; status in $rc, stderr in $err, stdout in $out.
run_init() {
        out=$(timeout 30 "$init" "$@" 2>"$work/stderr")
        rc=$?
        err=$(cat "$work/stderr")
}

# wait_children PID: the first child of PID once it has one (after up to 10 s), else nothing.
wait_children() {
        local kids
        for _ in $(seq 100); do
                read -r kids _ <"/proc/$1/task/$1/children" 2>/dev/null
                if [ -n "${kids:-}" ]; then
                        echo "$kids"
                        return
                fi
                sleep 0.1
        done
}

if [ ! -x "$init" ]; then
        echo "Bail out! $init not built"
        exit 1
fi

# ---- the binary: static, so that any image's root filesystem can run it ----
if command -v readelf >/dev/null; then
        phdrs=$(readelf -lW "$init" 2>&1)
        dyn=$(readelf -dW "$init" 2>&1)
        if ! grep -q 'program interpreter' <<<"$phdrs" && ! grep -q NEEDED <<<"$dyn"; then
                ok "rctr-init is static: no interpreter, no shared libraries"
        else
                not_ok "rctr-init is static" "$(grep -E 'interpreter|NEEDED' <<<"$phdrs$dyn")"
        fi
else
        skip "rctr-init is static" "no readelf"
fi

# ---- usage ----
run_init --version
check "--version" "0 rctr-init" "$rc ${out%% *}"
run_init --help
check "--help exits 0 with usage on stdout" "0 Usage:" "$rc ${out%% *}"
run_init
check "no command: 125" "125 rctr-init: missing command" "$rc $(head -n1 <<<"$err")"
run_init --
check "only --: 125" "125 rctr-init: missing command" "$rc $(head -n1 <<<"$err")"
run_init -x true
check "unknown option: 125" \
        "125 rctr-init: unknown option -x: put -- before a command that starts with -" "$rc $err"

# ---- as a subreaper in our pid namespace ----
run_init -- sh -c 'exit 7'
check "exit status passes through (with --)" "7" "$rc"
run_init sh -c 'echo out; exit 0'
check "exit 0 and stdout pass through (without --)" "0 out" "$rc $out"
run_init -- sh -c 'kill -KILL $$'
check "killed by SIGKILL: 137" "137" "$rc"
run_init -- /nonexistent/cmd arg
check "missing command: 127 and one line" \
        "127 rctr-init: exec /nonexistent/cmd: No such file or directory" "$rc $err"
run_init -- rctr-no-such-command
check "command not in PATH: 127" \
        "127 rctr-init: exec rctr-no-such-command: No such file or directory" "$rc $err"
mkdir "$work/locked" && chmod 0 "$work/locked"
out=$(PATH="$work/locked:$PATH" timeout 30 "$init" -- rctr-no-such-command 2>&1)
check "an unsearchable PATH directory leaves a missing command at 127" "127" "$?" "$out"
printf 'not a program\n' >"$work/noexec"
chmod 0644 "$work/noexec"
run_init -- "$work/noexec"
check "not executable: 126" "126 rctr-init: exec $work/noexec: Permission denied" "$rc $err"
run_init -- "$work"
check "a directory: 126" "126" "$rc"

# SIGTERM to rctr-init reaches the command (a plain sleep: it dies of it, 128+15). Signals go
# to $! itself, so no `timeout` in front; the commands end on their own.
"$init" -- sleep 20 &
pid=$!
child=$(wait_children "$pid")
kill -TERM "$pid"
wait "$pid"
rc=$?
check "SIGTERM is forwarded: 143" "143 yes" "$rc $([ -n "$child" ] && echo yes)"

# SIGUSR1 and SIGHUP reach the command's traps; rctr-init exits with its status.
"$init" -- sh -c "trap 'echo usr1 >>$work/sigs' USR1
        trap 'echo hup >>$work/sigs; exit 3' HUP
        for i in \$(seq 200); do sleep 0.1; done" &
pid=$!
child=$(wait_children "$pid")
sleep 0.3 # let sh install its traps
kill -USR1 "$pid"
sleep 0.5
kill -HUP "$pid"
wait "$pid"
rc=$?
check "SIGUSR1 then SIGHUP are forwarded to the command's traps" "3 usr1 hup" \
        "$rc $(tr '\n' ' ' <"$work/sigs" 2>/dev/null | sed 's/ $//')"

# An orphan is re-parented to rctr-init (the subreaper) and reaped when it exits.
run_init -- sh -c 'p=$(sh -c "sleep 0.5 >/dev/null 2>&1 & echo \$!")
        ppid=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$p/status)
        [ "$ppid" = "$PPID" ] || { echo "orphan $p has parent $ppid, not $PPID"; exit 1; }
        for _ in $(seq 50); do [ -e /proc/$p ] || exit 0; sleep 0.1; done
        echo "orphan $p: $(grep ^State: /proc/$p/status)"; exit 1'
check "an orphan is re-parented to rctr-init and reaped" "0" "$rc" "$out"

# On a terminal the command's process group becomes the foreground one, so ^C and ^Z reach it.
if command -v script >/dev/null; then
        # /proc/PID/stat fields: pid (comm) state ppid pgrp session tty_nr tpgid
        out=$(timeout 30 script -qec "'$init' -- sh -c 'set -- \$(cat /proc/\$\$/stat)
                [ \$5 = \$\$ ] && [ \$8 = \$\$ ] && exit 6; echo pgrp \$5 tpgid \$8'" /dev/null)
        check "on a terminal the command is the foreground process group" "6" "$?" "$out"
else
        skip "on a terminal the command is the foreground process group" "no script(1)"
fi

# ---- as pid 1 of a new pid namespace ----
ns=(unshare --user --map-root-user --pid --fork --mount-proc)
if ! "${ns[@]}" true 2>"$work/unshare.err"; then
        why="cannot unshare a user and pid namespace: $(head -n1 "$work/unshare.err")"
        for t in "exit status" "127" "SIGTERM from inside" "SIGTERM from outside" "zombies"; do
                skip "pid 1: $t" "$why"
        done
else
        out=$(timeout 30 "${ns[@]}" "$init" -- sh -c 'echo $$ $PPID; exit 9')
        rc=$?
        check "pid 1: the command is pid 2, its status passes through" "9 2 1" "$rc $out"

        err=$(timeout 30 "${ns[@]}" "$init" -- /nonexistent 2>&1)
        rc=$?
        check "pid 1: missing command: 127" \
                "127 rctr-init: exec /nonexistent: No such file or directory" "$rc $err"

        # The kernel drops signals to a pid 1 without a handler, but not blocked ones.
        timeout 30 "${ns[@]}" "$init" -- sh -c 'kill -TERM 1; sleep 20'
        rc=$?
        check "pid 1: SIGTERM from inside the namespace is forwarded: 143" "143" "$rc"

        "${ns[@]}" "$init" -- sleep 20 &
        upid=$!
        ipid=$(wait_children "$upid") # unshare forks rctr-init
        child=$(wait_children "${ipid:-0}")
        [ -n "$ipid" ] && kill -TERM "$ipid"
        wait "$upid"
        rc=$?
        check "pid 1: SIGTERM from the host is forwarded: 143" "143 yes" \
                "$rc $([ -n "$child" ] && echo yes)"

        # An orphan's parent is pid 1; once it exits nothing may stay a zombie while the
        # command still runs.
        out=$(timeout 30 "${ns[@]}" "$init" -- sh -c '
                p=$(sh -c "sleep 0.5 >/dev/null 2>&1 & echo \$!")
                ppid=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$p/status)
                [ "$ppid" = 1 ] || { echo "orphan $p has parent $ppid"; exit 1; }
                sh -c "sleep 0.2 & sleep 0.1 & exit 0"
                sleep 1.5
                z=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null)
                [ -z "$z" ] || { echo "zombies: $z"; exit 1; }
                [ ! -e /proc/$p ] || { echo "orphan $p still there"; exit 1; }
                exit 0')
        rc=$?
        check "pid 1: orphans are reaped, no zombie is left" "0" "$rc" "$out"
fi

# ---- in a root filesystem with busybox-static and no libc ----
busybox=$(command -v busybox)
if [ -z "$busybox" ] || ! readelf -lW "$busybox" 2>/dev/null | grep -q 'Elf file type' ||
        readelf -lW "$busybox" | grep -q 'program interpreter'; then
        skip "in a busybox-static root filesystem" "no static busybox (busybox-static)"
elif ! "${ns[@]}" true 2>/dev/null; then
        skip "in a busybox-static root filesystem" "cannot unshare a user and pid namespace"
else
        mkdir -p "$work/rootfs/bin" "$work/rootfs/run" "$work/rootfs/proc"
        cp "$busybox" "$work/rootfs/bin/busybox"
        cp "$init" "$work/rootfs/run/rctr-init"
        ln -s busybox "$work/rootfs/bin/sh"
        # --root: chroot into it after the namespaces exist; only busybox and rctr-init inside.
        out=$(PATH=/bin timeout 30 unshare --user --map-root-user --pid --fork \
                --root="$work/rootfs" /run/rctr-init -- /bin/sh -c 'echo $$; exit 5' 2>&1)
        rc=$?
        check "in a busybox-static root filesystem: runs as pid 1, exit status passes" "5 2" \
                "$rc $out"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
