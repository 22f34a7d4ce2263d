#!/usr/bin/env bats
# Volumes in containers and what uses what, as the unprivileged user: named and anonymous
# volumes in run/create (-v, --mount type=volume; data kept across containers, ro, copy-up from
# the image), volume rm/prune refusing volumes in use, rm -v and run --rm taking anonymous
# volumes along, rmi refusing images in use (-f removing their containers), --log-opt max-size,
# system df, prune and reset (also over a damaged record).

load helpers

setup() {
        containers_setup
}

teardown() {
        containers_teardown
}

# rctr_sep STATUS ARGS...: stdout ($output) and stderr ($stderr) apart
rctr_sep() {
        local status=$1
        shift
        run "-$status" --separate-stderr "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" "$@"
}

# gone PID: the process no longer runs (a zombie waiting for its reaper counts as gone)
gone() {
        [ ! -d "/proc/$1" ] || [ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = Z ]
}

@test "named volumes: made when missing, data kept across containers, ro, --mount type=volume, copy-up" {
        run_rctr run --rm -v data:/data bb sh -c 'echo hello >/data/f'
        run_rctr volume ls -q
        assert_output data
        [ "$(cat "$RCTR_ROOT/volumes/data/_data/f")" = hello ]
        run_rctr run --rm -v data:/elsewhere bb cat /elsewhere/f
        assert_output hello
        run_rctr 1 run --rm -v data:/data:ro bb sh -c 'echo x >/data/g'
        assert_output --partial "Read-only file system"
        run_rctr run --rm --mount type=volume,source=data,target=/m,ro bb cat /m/f
        assert_output hello
        run_rctr 1 run --rm --mount type=volume,src=data,dst=/m,readonly bb touch /m/x
        assert_output --partial "Read-only file system"
        # a new volume over an image directory starts with its content, unless nocopy
        run_rctr run --rm -v etc:/etc bb cat /etc/passwd
        assert_output --partial "root:"
        [ -f "$RCTR_ROOT/volumes/etc/_data/passwd" ]
        run_rctr run --rm -v bare:/etc:nocopy bb ls /etc
        assert_output ""
        run_rctr create --name c -v data:/data bb true
        run_rctr inspect --format '{{json .HostConfig.Binds}}' c
        assert_output '["data:/data"]'
        run_rctr 125 run --rm -v 'bad@name:/x' bb true
        assert_output 'rctr: run: invalid --volume bad@name:/x: invalid volume name "bad@name": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*'
        run_rctr 125 run --rm -v justaname bb true
        assert_output "rctr: run: invalid --volume justaname: expected SOURCE:DESTINATION[:OPTIONS], or /DESTINATION alone for an anonymous volume"
        run_rctr 125 run --rm --mount type=volume,target=/v,volume-opt=o=x bb true
        assert_output --partial "volume-opt is not supported"
}

@test "anonymous volumes: -v /dst and --mount without source; rm -v and run --rm remove them" {
        run_rctr run --name a1 -v /scratch bb sh -c 'echo x >/scratch/y'
        run_rctr volume ls -q
        [ "${#lines[@]}" -eq 1 ]
        local anon=${lines[0]}
        [[ "$anon" =~ ^[0-9a-f]{64}$ ]]
        [ "$(cat "$RCTR_ROOT/volumes/$anon/_data/y")" = x ]
        run_rctr inspect --format '{{json .HostConfig.Binds}}' a1
        assert_output "[\"$anon:/scratch\"]"
        rctr_sep 2 volume rm "$anon"
        [ "$stderr" = "rctr: volume rm: volume $anon is being used by a container: remove the container first or use --force" ]
        run_rctr rm -v a1
        run_rctr volume ls -q
        assert_output ""

        # without -v they stay, as with podman
        run_rctr run --name a2 --mount type=volume,target=/s bb true
        run_rctr rm a2
        run_rctr volume ls -q
        [ "${#lines[@]}" -eq 1 ]
        run_rctr volume prune -f
        run_rctr volume ls -q
        assert_output ""

        # run --rm takes its anonymous volumes along, not the named ones
        run_rctr run --rm -v /scratch -v keep:/k bb true
        run_rctr volume ls -q
        assert_output keep
        # ... also when the command fails to start (the monitor cleans up after reporting)
        run_rctr 127 run --rm -v /scratch bb no-such-command
        local i
        for i in $(seq 50); do
                [ "$(rctr volume ls -q)" = keep ] && break
                sleep 0.1
        done
        run_rctr volume ls -q
        assert_output keep
}

@test "volume rm and prune leave the volumes containers use; ls --filter dangling" {
        run_rctr create --name user -v used:/u bb true
        run_rctr volume create free
        rctr_sep 2 volume rm used
        [ "$stderr" = "rctr: volume rm: volume used is being used by a container: remove the container first or use --force" ]
        # all or nothing: free stays too
        rctr_sep 2 volume rm free used
        run_rctr volume ls -q --filter dangling=true
        assert_output free
        run_rctr volume ls -q --filter dangling=false
        assert_output used
        run_rctr volume prune -f
        assert_output free
        run_rctr volume ls -q
        assert_output used
        run_rctr rm user
        run_rctr volume rm used
        assert_output used
}

@test "rmi refuses an image a container uses, -f removes the containers first; image prune keeps it" {
        run_rctr create --name c1 bb true
        local c1 img pid
        c1=$(rctr inspect --format '{{.Id}}' c1)
        run_rctr run -d --name c2 bb sleep 4242
        pid=$(rctr inspect --format '{{.State.Pid}}' c2)
        img=$(rctr images -q | head -1)
        rctr_sep 2 rmi "$img"
        [ "$stderr" = "rctr: rmi: image used by $c1: image is in use by a container: consider listing external containers and force-removing image" ]
        rctr_sep 2 rmi -a
        # one of its names goes: the image keeps the other
        run_rctr rmi bb
        assert_output "Untagged: localhost/bb:latest"
        run_rctr image prune -a
        assert_output ""
        run_rctr images -q
        assert_output "$img"

        run_rctr rmi -f "$img"
        assert_line --regexp "^Deleted: $img[0-9a-f]{52}\$"
        run_rctr ps -a -q
        assert_output ""
        gone "$pid"
        run_rctr images -q
        assert_output ""
}

@test "--log-opt max-size: the log keeps the most recent output; other keys are refused" {
        run_rctr run --name lg --log-opt max-size=10k bb sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo line-$i; done'
        local log
        log=$(rctr inspect --format '{{.LogPath}}' lg)
        # 20000 lines are some 900 kB of records: the file was truncated as it passed 10 kB
        [ "$(stat -c %s "$log")" -lt 400000 ]
        run_rctr logs lg
        [ "${lines[-1]}" = line-20000 ]
        [ "${lines[0]}" != line-1 ]
        [ "${#lines[@]}" -lt 20000 ]
        run_rctr inspect --format '{{.HostConfig.LogConfig.Type}}' lg
        assert_output k8s-file

        run_rctr 125 run --rm --log-opt max-size=ten bb true
        assert_output "rctr: run: invalid --log-opt max-size=ten: expected a size such as 10mb"
        run_rctr 125 run --rm --log-opt tag=x bb true
        assert_output "rctr: run: invalid --log-opt tag=x: unknown option (supported: max-size=SIZE)"
        run_rctr 125 run --rm --log-opt path=/tmp/x bb true
        assert_output "rctr: run: --log-opt path is not supported: the log stays in the container's directory (rctr inspect shows its LogPath)"
}

@test "system df counts images, containers and volumes" {
        run_rctr system df --format json
        [ "$(jq -r '[.[] | "\(.Type)=\(.Total)/\(.Active)"] | join(" ")' <<<"$output")" = "Images=1/0 Containers=0/0 Local Volumes=0/0" ]
        run_rctr create --name c bb true
        run_rctr volume create v1
        head -c 1000 /dev/zero >"$RCTR_ROOT/volumes/v1/_data/f"
        run_rctr run -d --name r -v v2:/v bb sleep 4242
        run_rctr system df --format json
        [ "$(jq -r '[.[] | "\(.Type)=\(.Total)/\(.Active)"] | join(" ")' <<<"$output")" = "Images=1/1 Containers=2/1 Local Volumes=2/1" ]
        [ "$(jq -r '.[0].Reclaimable' <<<"$output")" = 0 ]
        [ "$(jq -r '.[2].Size' <<<"$output")" -ge 1000 ]
        [ "$(jq -r '.[2].Reclaimable' <<<"$output")" -ge 1000 ]
        run_rctr system df
        assert_line --index 0 --regexp '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$'
        assert_line --regexp '^Images +1 +1 '
        assert_line --regexp '^Containers +2 +1 '
        assert_line --regexp '^Local Volumes +2 +1 .*\(100%\)$'
}

@test "system prune: asks on a terminal, refuses without one; stopped containers, dangling or unused images, --volumes" {
        run_rctr create --name stopped bb true
        local stopped
        stopped=$(rctr inspect --format '{{.Id}}' stopped)
        run_rctr run -d --name running -v held:/h bb sleep 4242
        run_rctr volume create loose
        rctr_sep 125 system prune </dev/null
        [ "$stderr" = "rctr: system prune: no terminal to ask for confirmation on: use --force to prune without asking" ]
        local cmd="'$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' system prune --volumes"
        run script -qec "$cmd" /dev/null <<<"n"
        assert_success
        assert_output --partial "WARNING! This command removes:"
        assert_output --partial "all volumes not used by at least one container"
        run_rctr ps -a -q
        [ "${#lines[@]}" -eq 2 ]

        run_rctr system prune -f
        assert_line "Deleted Containers"
        assert_line "$stopped"
        assert_line --partial "Total reclaimed space: "
        refute_line "Deleted Volumes"
        refute_line "Deleted Images"
        run_rctr ps -a --format '{{.Names}}'
        assert_output running
        run_rctr system prune -f --volumes
        assert_output "Deleted Volumes
loose
Total reclaimed space: 0 B"
        # the image is in use: -a leaves it
        run_rctr system prune -a -f
        run_rctr images -q
        [ "${#lines[@]}" -eq 1 ]
        run_rctr rm -f running
        run_rctr system prune -a -f --volumes
        assert_line "Deleted Volumes"
        assert_line held
        assert_line "Deleted Images"
        run_rctr images -q
        assert_output ""
        run_rctr volume ls -q
        assert_output ""
}

@test "system reset: everything goes, a running container with a damaged record too; the store works after" {
        run_rctr run -d --name r1 -v v1:/v bb sleep 4242
        local id pid
        id=$(rctr inspect --format '{{.Id}}' r1)
        pid=$(rctr inspect --format '{{.State.Pid}}' r1)
        run_rctr create --name c1 -v /anon bb true
        echo garbage >"$RCTR_ROOT/containers/$id/container.json"
        rctr_sep 125 system reset </dev/null
        [ "$stderr" = "rctr: system reset: no terminal to ask for confirmation on: use --force to reset without asking" ]
        run script -qec "'$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' system reset" /dev/null <<<"n"
        assert_success
        assert_output --partial "WARNING! This will remove:"
        [ -d "$RCTR_ROOT/containers/$id" ]

        run_rctr system reset -f
        assert_output ""
        [ -z "$(ls -A "$RCTR_ROOT")" ]
        [ -z "$(ls -A "$RCTR_RUNROOT")" ]
        gone "$pid"
        run_rctr unshare sh -c "grep -c ' $RCTR_ROOT' /proc/self/mountinfo || true"
        assert_output 0
        run_rctr images -q
        assert_output ""
        run_rctr ps -a -q
        assert_output ""
        run_rctr volume ls -q
        assert_output ""
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        run_rctr run --rm -v again:/a "$RCTR_REGISTRY/busybox:latest" true
}

@test "system --help lists df, prune and reset; their flags" {
        run_rctr system --help
        assert_line --regexp '^  df +'
        assert_line --regexp '^  prune +'
        assert_line --regexp '^  reset +'
        run_rctr system prune --help
        assert_line --partial -- "--volumes"
        run_rctr system reset --help
        assert_line --partial -- "--force"
        run_rctr rm --help
        assert_line --partial "anonymous volumes"
}
