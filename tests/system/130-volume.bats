#!/usr/bin/env bats
# rctr volume create|ls|inspect|rm|prune|exists as podman has them: the records, the data
# directory, podman's exit codes, bad names and options (one line, exit 125), and what a killed
# create leaves behind.

load helpers

# rctr_sep STATUS ARGS...: rctr with this test's store, exit STATUS, stdout ($output) and stderr
# ($stderr) apart
rctr_sep() {
        local status=$1
        shift
        run "-$status" --separate-stderr "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" "$@"
}

@test "volume create, ls, inspect, exists, rm" {
        run_rctr volume create --label team=ci --opt size=1G data
        assert_output data
        run_rctr volume ls
        assert_output "DRIVER      VOLUME NAME
local       data"
        run_rctr volume ls --format json
        jq -e . <<<"$output" >/dev/null
        [ "$(jq -r '.[0].Name' <<<"$output")" = data ]
        [ "$(jq -r '.[0].Labels.team' <<<"$output")" = ci ]

        run_rctr volume inspect data
        jq -e . <<<"$output" >/dev/null
        [ "$(jq -r 'length' <<<"$output")" = 1 ]
        [ "$(jq -r '.[0] | [.Name, .Driver, .Scope, .Options.size, .MountCount] | join(" ")' <<<"$output")" = "data local local 1G 0" ]
        [[ "$(jq -r '.[0].CreatedAt' <<<"$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
        local mp
        mp=$(jq -r '.[0].Mountpoint' <<<"$output")
        [ "$mp" = "$RCTR_ROOT/volumes/data/_data" ]
        # the data directory is 0755 and ours: uid 0 of rctr's user namespace is us outside
        [ "$(stat -c '%a %u' "$mp")" = "755 $(id -u)" ]
        echo hello >"$mp/file"

        run_rctr volume exists data
        assert_output ""
        run_rctr 1 volume exists nope
        assert_output ""
        run_rctr 1 volume exists ../storage
        run_rctr volume rm data
        assert_output data
        run_rctr 1 volume exists data
        [ ! -e "$RCTR_ROOT/volumes/data" ]
        # no volumes: no heading, as podman; an empty JSON array
        run_rctr volume ls
        assert_output ""
        run_rctr volume ls --format json
        [ "$(jq -c . <<<"$output")" = "[]" ]
}

@test "volume create without a name, --ignore, ls -q, -n and --filter" {
        local anon
        run_rctr volume create
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        anon=$output
        run_rctr volume create --label team=ci -l empty b
        run_rctr volume create a
        run_rctr volume ls -q
        [ "$output" = "$(printf '%s\n' a b "$anon" | LC_ALL=C sort)" ]
        run_rctr volume ls -q --filter label=team=ci
        assert_output b
        run_rctr volume ls -q --filter label=empty --filter label=team
        assert_output b
        run_rctr volume ls -q --filter label=team=other
        assert_output ""
        run_rctr volume ls -q --filter 'name=^a$'
        assert_output a
        run_rctr volume ls -q --filter name=a --filter name=b --filter driver=local
        [ "$(wc -l <<<"$output")" -ge 2 ]
        run_rctr volume ls -q --filter dangling=true
        [ "$(wc -l <<<"$output")" = 3 ]
        run_rctr volume ls -q --filter dangling=false
        assert_output ""
        run_rctr volume ls --noheading --filter "name=^b$"
        assert_output "local       b"

        # --ignore: the name again, the volume as it was
        run_rctr volume create --ignore --label other=1 b
        assert_output b
        run_rctr volume inspect b
        [ "$(jq -c '.[0].Labels' <<<"$output")" = '{"team":"ci","empty":""}' ]
        rctr_sep 125 volume create b
        [ "$output" = "" ]
        [ "$stderr" = "rctr: volume create: volume b already exists" ]

        rctr_sep 125 volume ls -q --format json
        [ "$stderr" = "rctr: volume ls: quiet and format flags cannot be used together" ]
        rctr_sep 125 volume ls --filter colour=red
        [ "$stderr" = "rctr: volume ls: invalid --filter colour=red (use name=, label=, driver= or dangling=)" ]
        rctr_sep 125 volume ls --filter dangling=maybe
        [ "$stderr" = "rctr: volume ls: invalid --filter dangling=maybe: dangling= takes true or false" ]
        rctr_sep 125 volume ls --filter 'name=('
        [[ "$stderr" == "rctr: volume ls: invalid --filter name=(: "* ]]
        rctr_sep 125 volume ls --format yaml
        [ "$stderr" = "rctr: volume ls: unknown --format yaml (use table or json)" ]
}

@test "volume create: bad names and options are one line and exit 125" {
        local name
        for name in a/b .hidden _x "a b" .. ../x $'caf\xc3\xa9'; do
                rctr_sep 125 volume create "$name"
                [ "$output" = "" ]
                [ "$stderr" = "rctr: volume create: invalid volume name \"$name\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*" ]
        done
        rctr_sep 125 volume create "$(printf 'a%.0s' {1..256})"
        [ "$stderr" = "rctr: volume create: invalid volume name: longer than 255 characters" ]
        run_rctr volume create "$(printf 'a%.0s' {1..255})"
        run_rctr volume rm "$(printf 'a%.0s' {1..255})"

        rctr_sep 125 volume create -o type=tmpfs -o device=tmpfs v
        [[ "$stderr" =~ ^"rctr: volume create: volume option "(type|device)" is not supported rootless"$ ]]
        rctr_sep 125 volume create --opt o=uid=1000 v
        [ "$stderr" = "rctr: volume create: volume option o is not supported rootless" ]
        rctr_sep 125 volume create --driver nfs v
        [ "$stderr" = "rctr: volume create: volume driver nfs is not supported (only local)" ]
        rctr_sep 125 volume create --label =x v
        [ "$stderr" = "rctr: volume create: invalid --label =x: KEY=VALUE with a key" ]
        rctr_sep 125 volume create a b
        [ "$stderr" = "rctr: volume create: too many arguments (usage: rctr volume create [options] [NAME])" ]
        rctr_sep 125 volume create --bogus
        [ "$stderr" = "rctr: volume create: unknown flag --bogus (see rctr volume create --help)" ]
        rctr_sep 125 volume frobnicate
        [ "$stderr" = 'rctr: volume: unknown subcommand "frobnicate" (see rctr volume --help)' ]
        # nothing was made
        run_rctr volume ls -q
        assert_output ""
}

@test "volume inspect: a JSON array; a missing volume is an error" {
        run_rctr volume create v1
        run_rctr volume create v2
        run_rctr volume inspect v2 v1
        [ "$(jq -r '[.[].Name] | join(" ")' <<<"$output")" = "v2 v1" ]
        run_rctr volume inspect --all
        [ "$(jq -r '[.[].Name] | join(" ")' <<<"$output")" = "v1 v2" ]
        # as podman: what was found is shown, and the missing one fails the command
        rctr_sep 125 volume inspect v1 nope
        [ "$(jq -r '[.[].Name] | join(" ")' <<<"$output")" = "v1" ]
        [ "$stderr" = "rctr: volume inspect: no such volume nope" ]
        rctr_sep 125 volume inspect
        [ "$stderr" = "rctr: volume inspect: give volume names or --all (usage: rctr volume inspect [options] NAME...)" ]
}

@test "volume rm: podman's exit codes, all or nothing, --all, data a container wrote" {
        run_rctr volume create v1
        run_rctr volume create v2
        # files of another uid of the namespace and an unreadable directory, as a container leaves
        run_rctr unshare sh -c "mkdir -p '$RCTR_ROOT/volumes/v1/_data/d/e' && touch '$RCTR_ROOT/volumes/v1/_data/d/e/f' && chown -R 1000:1000 '$RCTR_ROOT/volumes/v1/_data/d' && chmod 000 '$RCTR_ROOT/volumes/v1/_data/d'"
        rctr_sep 1 volume rm v1 nope
        [ "$output" = "" ]
        [ "$stderr" = "rctr: volume rm: no such volume nope" ]
        run_rctr volume exists v1
        run_rctr volume rm v1 v2 v1
        assert_output "v1
v2"
        [ ! -e "$RCTR_ROOT/volumes/v1" ]
        rctr_sep 1 volume rm v1
        [ "$stderr" = "rctr: volume rm: no such volume v1" ]

        run_rctr volume create v3
        run_rctr volume create v4
        rctr_sep 125 volume rm -a v3
        [ "$stderr" = "rctr: volume rm: give volume names or --all (usage: rctr volume rm [options] NAME...)" ]
        rctr_sep 125 volume rm
        run_rctr volume rm --all
        assert_output "v3
v4"
        run_rctr volume rm -a -f
        assert_output ""
}

@test "volume prune: --force removes unused volumes; it asks on a terminal and refuses without one" {
        run_rctr volume create v1
        run_rctr volume create v2
        rctr_sep 125 volume prune </dev/null
        [ "$output" = "" ]
        [ "$stderr" = "rctr: volume prune: no terminal to ask for confirmation on: use --force to remove the unused volumes without asking" ]
        run_rctr volume ls -q
        assert_output "v1
v2"

        # on a terminal (script(1) gives it one): no keeps them, y removes them
        local cmd="'$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' volume prune"
        run script -qec "$cmd" /dev/null <<<"n"
        assert_success
        assert_output --partial "WARNING! This will remove all volumes not used by at least one container."
        assert_output --partial "Are you sure you want to continue? [y/N]"
        run_rctr volume ls -q
        assert_output "v1
v2"
        run script -qec "$cmd" /dev/null <<<"y"
        assert_success
        run_rctr volume ls -q
        assert_output ""

        run_rctr volume create v3
        run_rctr volume prune -f
        assert_output v3
        run_rctr volume prune --force
        assert_output ""
}

@test "volume: what a killed create or rm leaves is ignored by ls and removed by the next create" {
        run_rctr volume create v1
        # a create killed before its rename, and an rm killed after its rename
        mkdir -p "$RCTR_ROOT/volumes/.tmp-0123456789abcdef/_data" "$RCTR_ROOT/volumes/.tmp-fedcba9876543210/_data"
        run_rctr volume ls -q
        assert_output v1
        run_rctr volume ls --format json
        [ "$(jq -r 'length' <<<"$output")" = 1 ]
        run_rctr volume create v2
        [ -z "$(find "$RCTR_ROOT/volumes" -maxdepth 1 -name '.tmp-*')" ]
        mkdir -p "$RCTR_ROOT/volumes/.tmp-0123456789abcdef/_data"
        run_rctr volume prune -f
        assert_output "v1
v2"
        [ -z "$(find "$RCTR_ROOT/volumes" -maxdepth 1 -name '.tmp-*')" ]
}

@test "volume --help lists the subcommands, each has its help" {
        run_rctr volume --help
        assert_line --regexp '^  create +create a volume'
        assert_line --regexp '^  prune +'
        local sub
        for sub in create ls inspect rm prune exists; do
                run_rctr volume "$sub" --help
                assert_line --partial "Usage: rctr volume $sub"
        done
        run_rctr volume create --help
        assert_line --partial -- "--ignore"
}
