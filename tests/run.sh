#!/bin/bash
# The whole test suite, the one command README and .ci/run give:
#   tests/run.sh [BUILDDIR...]        (default: build)
# For each build directory (configured and built here if needed, with $RCTR_CONFIGURE_FLAGS):
# the C unit tests (make check), then the integration tests (bats). As root it installs the
# build where others can read it, makes the unprivileged test users (rctrtest with subuid/subgid
# ranges, rctrnosub without) and runs bats as them; as a normal user it runs bats as that user.
# Ends with one line: "N passed, M failed, K skipped".
# While developing, RCTR_BATS_FILES="070-oci-exec ..." runs only those files of tests/system.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
[ $# -gt 0 ] || set -- build

passed=0 failed=0 skipped=0
count_tap() { # TAP on stdin: add to the totals
        local line
        while IFS= read -r line; do
                case "$line" in
                "not ok "*) failed=$((failed + 1)) ;;
                "ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
                "ok "*) passed=$((passed + 1)) ;;
                esac
        done
}

build() { # BUILDDIR
        local dir=$1
        if [ ! -f "$dir/Makefile" ]; then
                [ -x configure ] || ./autogen.sh || return 1
                mkdir -p "$dir" && (cd "$dir" && ../configure -q ${RCTR_CONFIGURE_FLAGS:-}) || return 1
        fi
        make -s -C "$dir" -j"$(nproc)" >/dev/null || make -C "$dir"
}

unit_tests() { # BUILDDIR
        local dir=$1 out n
        echo "== unit tests ($dir)"
        out=$(make -C "$dir" -j"$(nproc)" check 2>&1)
        grep -E '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' <<<"$out" | grep -vE '^PASS:' || true
        n() { sed -n "s/^# $1: *\([0-9]*\)/\1/p" <<<"$out" | tail -1; }
        passed=$((passed + $(n PASS) + $(n XFAIL)))
        failed=$((failed + $(n FAIL) + $(n XPASS) + $(n ERROR)))
        skipped=$((skipped + $(n SKIP)))
        grep -E '^# (TOTAL|PASS|FAIL|ERROR):' <<<"$out"
        if [ -z "$(n TOTAL)" ]; then
                echo "make check did not run: $out" | tail -30
                failed=$((failed + 1))
        elif [ "$(n FAIL)$(n ERROR)" != 00 ]; then
                cat "$dir/test-suite.log"
        fi
}

ensure_user() { # NAME WITH_RANGES(yes|no)
        local user=$1 ranges=$2 uid
        id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user" || return 1
        if [ "$ranges" = yes ]; then
                if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
                        # a free block well above what useradd hands out
                        local start=$((300000 + 65536 * $(id -u "$user")))
                        grep -q "^$user:" /etc/subuid || usermod --add-subuids "$start-$((start + 65535))" "$user"
                        grep -q "^$user:" /etc/subgid || usermod --add-subgids "$start-$((start + 65535))" "$user"
                fi
        else
                local r
                for r in $(awk -F: -v u="$user" '$1 == u { print $2 "-" $2 + $3 - 1 }' /etc/subuid); do
                        usermod --del-subuids "$r" "$user"
                done
                for r in $(awk -F: -v u="$user" '$1 == u { print $2 "-" $2 + $3 - 1 }' /etc/subgid); do
                        usermod --del-subgids "$r" "$user"
                done
        fi
        uid=$(id -u "$user")
        install -d -m 0700 -o "$user" -g "$(id -g "$user")" "/run/user/$uid"
}

bats_as() { # USER RCTR PREFIX DIR...
        local user=$1 rctr=$2 prefix=$3 uid home
        shift 3
        uid=$(id -u "$user")
        home=$(getent passwd "$user" | cut -d: -f6)
        # a clean login-like environment; /usr/bin first: root's python3 is a pyenv shim here
        runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
                PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
                XDG_RUNTIME_DIR="/run/user/$uid" RCTR="$rctr" RCTR_PREFIX="$prefix" \
                RCTR_FIXTURES="$stage/fixtures" bats --tap "$@" </dev/null
}

bats_as_root() { # RCTR PREFIX DIR...: what needs root (user namespaces with any mappings, mknod)
        local rctr=$1 prefix=$2
        shift 2
        env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 \
                PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin RCTR="$rctr" \
                RCTR_PREFIX="$prefix" RCTR_FIXTURES="$stage/fixtures" bats --tap "$@" </dev/null
}

kill_pause_of() { # RUNTIME_DIR: safety net for a pause process a failed test left
        local pidfile="$1/rctr/pause.pid" pid
        [ -f "$pidfile" ] || return 0
        pid=$(cat "$pidfile")
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = rctr-pause ] && kill "$pid" 2>/dev/null
        return 0
}

system_tests_as_root() { # BUILDDIR
        local dir=$1 out
        stage=$(mktemp -d /tmp/rctr-test.XXXXXX)
        chmod 755 "$stage"
        make -s -C "$dir" install prefix="$stage/prefix" >/dev/null || { failed=$((failed + 1)); return; }
        cp -r tests/system tests/fixtures "$stage/"
        chmod -R a+rX "$stage"
        ensure_user rctrtest yes && ensure_user rctrnosub no || { failed=$((failed + 1)); return; }
        # this machine ships them 0600; a normal distro has 0666, which rootless networking and
        # fuse-overlayfs need
        local dev
        for dev in /dev/net/tun /dev/fuse; do
                [ -e "$dev" ] && chmod 0666 "$dev"
        done
        local -a files=("$stage/system") root_files=("$stage/system/root") f
        if [ -n "${RCTR_BATS_FILES:-}" ]; then
                files=() root_files=()
                for f in $RCTR_BATS_FILES; do
                        case $f in
                        root/*) root_files+=("$stage/system/$f.bats") ;;
                        *) files+=("$stage/system/$f.bats") ;;
                        esac
                done
        fi
        if [ ${#files[@]} -gt 0 ]; then
                echo "== integration tests ($dir, as rctrtest)"
                bats_as rctrtest "$stage/prefix/bin/rctr" "$stage/prefix" "${files[@]}" |
                        tee "$stage/tap"
                count_tap <"$stage/tap"
        fi
        if [ -z "${RCTR_BATS_FILES:-}" ]; then
                echo "== integration tests ($dir, as rctrnosub: no subordinate ids)"
                bats_as rctrnosub "$stage/prefix/bin/rctr" "$stage/prefix" "$stage/system/nosub" |
                        tee "$stage/tap"
                count_tap <"$stage/tap"
        fi
        if [ ${#root_files[@]} -gt 0 ]; then
                echo "== integration tests ($dir, as root)"
                bats_as_root "$stage/prefix/bin/rctr" "$stage/prefix" "${root_files[@]}" |
                        tee "$stage/tap"
                count_tap <"$stage/tap"
        fi
        local u
        for u in rctrtest rctrnosub; do
                kill_pause_of "/run/user/$(id -u $u)"
                kill_pause_of "/tmp/rctr-$(id -u $u)"
        done
        rm -rf "$stage"
}

system_tests_as_user() { # BUILDDIR
        local dir=$1
        echo "== integration tests ($dir, as $(id -un))"
        RCTR="$top/$dir/rctr" RCTR_FIXTURES="$top/tests/fixtures" bats --tap tests/system </dev/null | tee "$dir/bats.tap"
        count_tap <"$dir/bats.tap"
}

for dir in "$@"; do
        if ! build "$dir"; then
                echo "build of $dir failed"
                failed=$((failed + 1))
                continue
        fi
        unit_tests "$dir"
        if [ "$(id -u)" -eq 0 ]; then
                system_tests_as_root "$dir"
        else
                system_tests_as_user "$dir"
        fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
