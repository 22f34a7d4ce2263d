#!/usr/bin/env bats
# The command line itself: help, version, unknown commands and flags, exit codes, man pages.

load helpers

@test "rctr --help lists the commands and exits 0" {
        run_rctr --help
        assert_line --regexp '^  unshare +Run a command'
        assert_line --regexp '^  info +'
        assert_line --regexp '^  version +'
        assert_line --regexp '^      --log-level LEVEL'
}

@test "rctr with no command prints usage and exits 125" {
        run -125 --separate-stderr "$RCTR"
        assert_output --partial 'Usage: rctr'
        [ "$stderr" = 'rctr: no command given (see rctr --help)' ]
}

@test "an unknown command is one line and exit 125" {
        run -125 --separate-stderr "$RCTR" frobnicate
        [ "$output" = '' ]
        [ "$stderr" = 'rctr: unknown command "frobnicate" (see rctr --help)' ]
}

@test "a bad flag is one line and exit 125, before and after the command" {
        run -125 --separate-stderr "$RCTR" --frobnicate info
        [ "$stderr" = 'rctr: unknown flag --frobnicate (see rctr --help)' ]
        run -125 --separate-stderr "$RCTR" info --frobnicate
        [ "$stderr" = 'rctr: info: unknown flag --frobnicate (see rctr info --help)' ]
        run -125 --separate-stderr "$RCTR" version -Z
        [ "$stderr" = 'rctr: version: unknown flag -Z (see rctr version --help)' ]
        run -125 --separate-stderr "$RCTR" info --root
        [ "$stderr" = 'rctr: info: flag --root needs a value (see rctr info --help)' ]
}

@test "--log-level takes podman's names and refuses others" {
        run_rctr --log-level=warning version
        run_rctr --log-level debug version
        run -125 --separate-stderr "$RCTR" --log-level=chatty version
        [ "$stderr" = 'rctr: invalid --log-level chatty (use error, warn, info, debug or trace)' ]
}

@test "--log-level=debug shows where the pause process came from" {
        run --separate-stderr "$RCTR" --log-level=debug unshare true
        assert_success
        [[ "$stderr" =~ rctr\[[0-9]+\]\ debug\ rootless/pause\.c:[0-9]+:\ (started|joined)\ pause\ process ]]
}

@test "rctr version and --version" {
        run_rctr --version
        assert_output --regexp '^rctr version [0-9]+\.[0-9]+\.[0-9]+$'
        run_rctr version
        assert_line --regexp '^version: [0-9]+\.[0-9]+\.[0-9]+$'
        run_rctr version --format json
        run jq -r '.version + " " + .os' <<<"$output"
        assert_output --regexp '^[0-9]+\.[0-9]+\.[0-9]+ linux$'
        run -125 --separate-stderr "$RCTR" version --format yaml
        [ "$stderr" = 'rctr: version: unknown --format yaml (use text or json)' ]
}

@test "rctr help COMMAND shows the same text as COMMAND --help" {
        run_rctr unshare --help
        local direct="$output"
        run_rctr help unshare
        [ "$output" = "$direct" ]
        assert_output --partial 'Usage: rctr unshare'
        run -125 --separate-stderr "$RCTR" help frobnicate
        [ "$stderr" = 'rctr: help: unknown command "frobnicate" (see rctr --help)' ]
}

@test "every command in rctr --help has an installed man page" {
        [ -n "${RCTR_PREFIX:-}" ] || skip "RCTR_PREFIX unset: rctr is not installed by the harness"
        local mandir="$RCTR_PREFIX/share/man/man1"
        run_rctr --help
        local cmds
        cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$output" | awk 'NR > 1 && NF { print $1 }')
        [ -n "$cmds" ]
        grep -q '^\.TH' "$mandir/rctr.1"
        for c in $cmds; do
                grep -q '^\.TH' "$mandir/rctr-$c.1" || fail "no man page rctr-$c.1 in $mandir"
        done
}
