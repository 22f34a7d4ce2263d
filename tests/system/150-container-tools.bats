#!/usr/bin/env bats
# The container tools as the unprivileged user: diff, cp (files, directories, "/.", tar streams,
# running and stopped containers, symlinks that point out of the container, hostile tars),
# export, top, port, rename, `container` with prune and exists, pause without a cgroup.

load helpers

setup() {
        containers_setup
        H="$BATS_TEST_TMPDIR/host"
        mkdir -p "$H"
}

teardown() {
        containers_teardown
}

# nothing of the store is mounted in rctr's namespace (no rootfs left behind)
no_mounts() {
        run "$RCTR" unshare cat /proc/self/mountinfo
        refute_output --partial "$RCTR_ROOT"
}

@test "diff: C, A and D as podman, JSON, container diff, a fresh container has none" {
        run_rctr run --name c bb sh -c 'rm /bin/ls; echo x >/etc/new; mkdir -p /d/e; touch /d/e/f; chmod 700 /home'
        run_rctr diff c
        assert_output "C /bin
D /bin/ls
A /d
A /d/e
A /d/e/f
C /etc
A /etc/new
C /home"
        run_rctr diff --format json c
        assert_output '{"changed":["/bin","/etc","/home"],"added":["/d","/d/e","/d/e/f","/etc/new"],"deleted":["/bin/ls"]}'
        run_rctr container diff c
        assert_line "D /bin/ls"
        run_rctr run --name fresh bb true
        run_rctr diff fresh
        assert_output ""
        run_rctr diff --format json fresh
        assert_output "{}"
        # mount points the runtime made (-v, --tmpfs) are no change of the image
        mkdir -p "$H/vol"
        run_rctr run --name m -v "$H/vol:/data" --tmpfs /scratch bb sh -c 'echo x >/data/f; echo y >/scratch/g'
        run_rctr diff m
        assert_output ""
        run_rctr 125 diff --format table c
        assert_output "rctr: diff: --format table is not supported (only json)"
        run_rctr 125 diff nope
        assert_output 'rctr: diff: no container with name or ID "nope" found'
}

@test "diff of a running container; vfs compares the whole rootfs" {
        run_rctr run -d --name r bb sh -c 'touch /running; sleep 4242'
        sleep 0.5
        run_rctr diff r
        assert_output "A /running"
        run_rctr rm -f r

        # vfs keeps no upper directory: the rootfs is compared with the image's layer
        local v=(--root "$BATS_TEST_TMPDIR/vroot" --runroot "$BATS_TEST_TMPDIR/vrun" --storage-driver vfs)
        run "$RCTR" "${v[@]}" pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        assert_success
        run "$RCTR" "${v[@]}" run --name v "$RCTR_REGISTRY/busybox:latest" \
                sh -c 'rm /bin/ls; echo more >>/etc/passwd; touch /new'
        assert_success
        run "$RCTR" "${v[@]}" diff v
        assert_success
        assert_output "C /bin
D /bin/ls
C /etc
C /etc/passwd
A /new"
        run "$RCTR" "${v[@]}" run --name v2 "$RCTR_REGISTRY/busybox:latest" true
        run "$RCTR" "${v[@]}" diff v2
        assert_success
        assert_output ""
        "$RCTR" "${v[@]}" rm -a >/dev/null
}

@test "cp host -> stopped container: file, rename, directory, /. contents; nothing left mounted" {
        echo hello >"$H/f"
        mkdir -p "$H/d/sub"
        echo deep >"$H/d/sub/x"
        ln -s sub/x "$H/d/link"
        run_rctr create --name c bb sh -c 'cat /f /etc/f2 /d/sub/x /tmp/sub/x; readlink /d/link; ls /tmp'
        run_rctr cp "$H/f" c:/
        run_rctr cp "$H/f" c:/etc/f2
        run_rctr cp "$H/d" c:/
        run_rctr cp "$H/d/." c:/tmp
        no_mounts
        run_rctr start -a c
        assert_output "hello
hello
deep
deep
sub/x
link
sub"
        no_mounts
        # a relative container path starts at the container's working directory (/)
        run_rctr cp "$H/f" c:relative
        run_rctr cp c:/relative "$H/back"
        [ "$(cat "$H/back")" = hello ]
}

@test "cp container -> host: file, directory, /., ownership, -a=false" {
        run_rctr run --name c bb sh -c 'mkdir -p /d/e; echo one >/d/e/f; chown 1000:1000 /d/e/f; ln /d/e/f /d/hard'
        run_rctr cp c:/d/e/f "$H/"
        [ "$(cat "$H/f")" = one ]
        run_rctr cp c:/d "$H/"
        [ "$(cat "$H/d/e/f")" = one ]
        # the host copy is the user's, whoever owned it in the container; hard links stay links
        [ "$(stat -c %u "$H/d/e/f")" = "$(id -u)" ]
        [ "$(stat -c %i "$H/d/e/f")" = "$(stat -c %i "$H/d/hard")" ]
        run_rctr cp c:/d/. "$H/contents"
        [ -f "$H/contents/e/f" ]
        [ -f "$H/contents/hard" ]
        run_rctr cp c:/d/e/f "$H/renamed"
        [ "$(cat "$H/renamed")" = one ]
        # into a container: its main user owns what arrives (podman's --archive default)
        run_rctr run -d --name u -u 1000:1000 bb sleep 4242
        run_rctr cp "$H/f" u:/tmp/mine
        run_rctr exec u stat -c %u:%g /tmp/mine
        assert_output "1000:1000"
        run_rctr cp --archive=false "$H/f" u:/tmp/kept
        run_rctr exec u stat -c %u:%g /tmp/kept
        assert_output "0:0"
        # only the running container's rootfs is mounted
        [ "$("$RCTR" unshare cat /proc/self/mountinfo | grep -c "$RCTR_ROOT")" -eq 1 ]
}

@test "cp into a running container sees its tmpfs; its rootfs stays mounted" {
        run_rctr run -d --name r --tmpfs /t bb sleep 4242
        echo data >"$H/f"
        run_rctr cp "$H/f" r:/t/
        run_rctr exec r cat /t/f
        assert_output data
        run_rctr cp "$H/f" r:/root/f
        run_rctr cp r:/t/f "$H/out"
        [ "$(cat "$H/out")" = data ]
        run_rctr exec r cat /root/f
        assert_output data
        run_rctr ps --format '{{.Names}} {{.State}}'
        assert_output "r running"
        run_rctr stop -t 0 r
        no_mounts
        # after it stopped, what was copied is in its rootfs (not what went to its tmpfs)
        [ "$(rctr cp r:/root/f - | tar -xOf - f)" = data ]
        run_rctr 125 cp r:/t/f "$H/gone"
        no_mounts
}

@test "cp: symlinks in the container pointing out of it stay inside it" {
        # a name that exists neither on the host nor in the container
        local evil="/tmp/rctr-escape-$$-$RANDOM"
        echo payload >"$H/f"
        # running: the container's own view
        run_rctr run -d --name r bb sh -c 'ln -s / /escape; ln -s ../../../.. /up; ln -s /etc/passwd /pw; sleep 4242'
        sleep 0.5
        run_rctr cp "$H/f" "r:/escape$evil"
        [ ! -e "$evil" ]
        run_rctr exec r cat "$evil"
        assert_output payload
        run_rctr 1 exec r test -e /up/etc/shadow
        run_rctr cp "$H/f" r:/up/tmp/x
        run_rctr exec r cat /tmp/x
        assert_output payload
        run_rctr cp r:/up/etc/passwd "$H/pw"
        run_rctr cp r:/pw "$H/pw2"
        [ "$(cat "$H/pw")" = "$(printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false')" ]
        cmp "$H/pw" "$H/pw2"
        ! cmp -s "$H/pw" /etc/passwd
        # stopped: the mounted rootfs, the same rules
        run_rctr create --name s bb true
        run_rctr cp "$H/f" s:/
        run_rctr start -a s
        run_rctr run --name l bb sh -c 'ln -s ../../../../../../.. /up; ln -s / /escape'
        run_rctr cp "$H/f" "l:/up$evil"
        run_rctr cp "$H/f" "l:/escape$evil.2"
        [ ! -e "$evil" ] && [ ! -e "$evil.2" ]
        run_rctr cp "l:$evil.2" "$H/back2"
        run_rctr cp "l:/up$evil" "$H/back"
        [ "$(cat "$H/back")" = payload ]
        run_rctr cp l:/up/etc/passwd "$H/pw3"
        cmp "$H/pw" "$H/pw3"
        run_rctr rm -f r
        no_mounts
}

@test "cp with tar streams: to stdout, from stdin; hostile tars are refused" {
        run_rctr run --name c bb sh -c 'mkdir /d; echo one >/d/f'
        rctr cp c:/d - >"$H/d.tar"
        run tar -tf "$H/d.tar"
        assert_output "d/
d/f"
        rctr cp c:/d/. - >"$H/c.tar"
        run tar -tf "$H/c.tar"
        assert_output "f"
        mkdir -p "$H/src/x"
        echo two >"$H/src/x/y"
        tar -C "$H/src" -cf - . | rctr cp - c:/tmp
        tar -C "$H/src" -czf - . | rctr cp - c:/d
        run_rctr cp c:/tmp/x/y "$H/y"
        [ "$(cat "$H/y")" = two ]
        run_rctr cp c:/d/x/y "$H/y2"
        [ "$(cat "$H/y2")" = two ]
        # names with .. and hard links out are refused; a symlink the tar makes stays inside
        python3 - "$H" <<'EOF'
import io, sys, tarfile
def tar(path, members):
    with tarfile.open(path, "w") as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data) if data else None)
def reg(name, data=b"x\n"):
    m = tarfile.TarInfo(name); m.size = len(data); return m, data
def link(name, target, kind):
    m = tarfile.TarInfo(name); m.type = kind; m.linkname = target; return m, None
h = sys.argv[1]
tar(h + "/dotdot.tar", [reg("../../../../../../../../tmp/rctr-dotdot-pwned")])
tar(h + "/hard.tar", [link("h", "../../../../etc/passwd", tarfile.LNKTYPE)])
tar(h + "/sym.tar", [link("l", "/", tarfile.SYMTYPE), reg("l/etc/pwned")])
EOF
        run rctr cp - c:/tmp <"$H/dotdot.tar"
        [ "$status" -eq 125 ]
        assert_output --partial "tar entry ../../../../../../../../tmp/rctr-dotdot-pwned: "
        [ ! -e /tmp/rctr-dotdot-pwned ]
        run rctr cp - c:/tmp <"$H/hard.tar"
        [ "$status" -eq 125 ]
        assert_output --partial "tar entry h: "
        run rctr cp - c:/tmp <"$H/sym.tar"
        assert_success
        run_rctr cp c:/tmp/etc/pwned "$H/pwned"
        run_rctr 125 cp c:/etc/pwned "$H/pwned2"
        [ ! -e /etc/pwned ]
        run rctr cp - c:/d/f <"$H/sym.tar"
        [ "$status" -eq 125 ]
        assert_output --partial "must be a directory"
        no_mounts
}

@test "cp: the errors a user can hit" {
        echo x >"$H/f"
        mkdir -p "$H/dir"
        run_rctr create --name c bb true
        run_rctr 125 cp "$H/f" "$H/g"
        assert_output "rctr: cp: one of SRC and DEST must be a container path (CONTAINER:PATH)"
        run_rctr 125 cp - -
        assert_output 'rctr: cp: SRC and DEST cannot both be "-"'
        run_rctr 125 cp "$H/f"
        assert_output --partial "rctr: cp: SRC and DEST are needed"
        run_rctr 125 cp c:/no/such "$H/"
        assert_output --partial "No such file or directory"
        run_rctr 125 cp "$H/f" c:/no/such/dir/
        assert_output --partial "No such file or directory"
        run_rctr 125 cp "$H/dir" c:/etc/passwd
        assert_output "rctr: cp: cannot copy directory $H/dir onto file /etc/passwd"
        run_rctr 125 cp c:/etc/passwd/ "$H/"
        assert_output --partial "not a directory"
        run_rctr 125 cp "$H/f" nope:/
        assert_output 'rctr: cp: no container with name or ID "nope" found'
        run_rctr 125 cp "$H/dir" c:/etc/passwd/
        run_rctr cp "$H/f" c:/etc
        run_rctr 125 cp "$H/dir/" c:/etc/f
        # --overwrite lets a directory replace a file
        mkdir -p "$H/f2" && echo in >"$H/f2/inner"
        run_rctr 125 cp "$H/f2" c:/etc/f
        run_rctr cp "$H/f2" c:/etc/
        # a file named f2 into /etc, where f2 is a directory now
        mkdir -p "$H/x" && echo file >"$H/x/f2"
        run_rctr 125 cp "$H/x/f2" c:/etc/
        assert_output "rctr: cp: cannot overwrite directory f2 with a non-directory"
        run_rctr cp --overwrite "$H/x/f2" c:/etc/
        run_rctr cp c:/etc/f2 "$H/f2back"
        [ "$(cat "$H/f2back")" = file ]
        run_rctr 125 cp --archive=maybe "$H/f" c:/
        no_mounts
}

@test "export: a tar of the rootfs to stdout or -o, not to a terminal" {
        run_rctr run --name c bb sh -c 'rm /bin/ls; echo new >/etc/new'
        rctr export c >"$H/c.tar"
        run tar -tf "$H/c.tar"
        assert_line "bin/busybox"
        assert_line "etc/new"
        assert_line "etc/"
        refute_line "bin/ls"
        refute_line --regexp '^\./'
        run tar -xOf "$H/c.tar" etc/new
        assert_output new
        run_rctr export -o "$H/o.tar" c
        assert_output ""
        cmp "$H/c.tar" "$H/o.tar"
        run_rctr container export --output "$H/o2.tar" c
        cmp "$H/c.tar" "$H/o2.tar"
        no_mounts
        # a running container too
        run_rctr run -d --name r bb sh -c 'echo live >/live; sleep 4242'
        sleep 0.5
        rctr export r | tar -xOf - live >"$H/live"
        [ "$(cat "$H/live")" = live ]
        pty_rctr -- export c
        [ "$status" -eq 125 ]
        assert_output --partial "rctr: export: refusing to export to terminal. Use -o flag or redirect"
        run_rctr 125 export nope -o "$H/nope.tar"
        [ ! -e "$H/nope.tar" ]
}

@test "top: podman's default columns, descriptors, errors" {
        run_rctr run -d --name t bb sh -c 'sleep 4242 & exec sleep 4243'
        sleep 0.5
        run_rctr top t
        assert_line --index 0 --regexp '^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND$'
        assert_line --index 1 --regexp '^root +1 +0 +[0-9]+\.[0-9]{3} +[0-9.]+(ms|s) +\? +[0-9.a-z]+s +sleep 4243$'
        assert_line --index 2 --regexp '^root +[0-9]+ +1 +[0-9.]+ +[0-9.]+(ms|s) +\? +[0-9.a-z]+s +sleep 4242$'
        [ "${#lines[@]}" -eq 3 ]
        run_rctr top t pid,args
        assert_output "PID         COMMAND
1           sleep 4243
2           sleep 4242"
        run_rctr top t %p user comm
        assert_line --index 0 --regexp '^PID +USER +COMMAND$'
        assert_line --index 1 --regexp '^1 +root +sleep$'
        run_rctr top t hpid huser
        assert_line --index 1 --regexp "^[0-9]+ +$(id -un)$"
        run_rctr container top t pid
        run_rctr top --list-descriptors
        assert_line args
        assert_line huser
        run_rctr 125 top t pid,bogus
        assert_output "rctr: top: unknown descriptor: bogus (see rctr top --list-descriptors)"
        run_rctr create --name c bb true
        run_rctr 125 top c
        assert_output "rctr: top can only be used on running containers (c is created)"
        run_rctr 125 top nope
        assert_output 'rctr: top: no container with name or ID "nope" found'
}

@test "port: nothing published, exit 0; a missing container fails" {
        run_rctr create --name c bb true
        run_rctr port c
        assert_output ""
        run_rctr port -a
        assert_output ""
        run_rctr port --all
        run_rctr 125 port nope
        assert_output 'rctr: port: no container with name or ID "nope" found'
        run_rctr 125 port c 80/tcp
        assert_output 'rctr: port: failed to find published port "80/tcp"'
        run_rctr 125 port -a c
}

@test "rename: new name, checked as create checks it" {
        run_rctr create --name old bb true
        local id=$output
        run_rctr create --name taken bb true
        local idb=$output
        run_rctr rename old new
        assert_output ""
        run_rctr inspect --format '{{.Name}} {{.Id}}' new
        assert_output "new $id"
        # the old name is gone (not a hex digit: no id prefix either)
        run_rctr 125 inspect old
        run_rctr 125 rename new taken
        assert_output "rctr: rename: the container name \"taken\" is already in use by ${idb:0:12}: remove that container or choose another name"
        run_rctr 125 rename new 'bad name'
        assert_output "rctr: rename: invalid name bad name: use letters, digits, _ . - (starting with a letter or digit)"
        run_rctr 125 rename nope x
        assert_output 'rctr: rename: no container with name or ID "nope" found'
        # a running container keeps running under its new name
        run_rctr run -d --name run1 bb sleep 4242
        run_rctr container rename run1 run2
        run_rctr ps --format '{{.Names}} {{.State}}'
        assert_output "run2 running"
        run_rctr stop -t 0 run2
        assert_output run2
}

@test "container: the subcommands, exists, prune" {
        run_rctr container --help
        assert_line --regexp '^  prune +remove every container that is not running$'
        assert_line --regexp '^  cp +'
        run_rctr 125 container nosuch
        assert_output --partial 'unknown subcommand "nosuch"'
        run_rctr container create --name c1 bb true
        run_rctr container run --name c2 bb true
        run_rctr container run -d --name r bb sleep 4242
        run_rctr container ls -a --format '{{.Names}}'
        assert_output "r
c2
c1"
        run_rctr container list --format '{{.Names}}'
        assert_output r
        run_rctr container ps -a -q
        [ "${#lines[@]}" -eq 3 ]
        run_rctr container inspect --format '{{.Name}}' c1
        assert_output c1
        run_rctr container exists c1
        run_rctr 1 container exists nope
        assert_output ""
        # prune: asks on a terminal, refuses without one
        run_rctr 125 container prune
        assert_output "rctr: container: no terminal to ask for confirmation on: use --force to prune without asking"
        pty_rctr 'expect:[y/N]' 'send:n\r' -- container prune
        assert_success
        assert_output --partial "WARNING! This will remove all non running containers."
        run_rctr container ps -a -q
        [ "${#lines[@]}" -eq 3 ]
        pty_rctr 'expect:[y/N]' 'send:y\r' -- container prune
        assert_success
        run_rctr ps -a --format '{{.Names}}'
        assert_output r
        run_rctr container create --name c3 bb true
        local id=$output
        run_rctr container prune -f
        assert_output "$id"
        run_rctr container prune --force
        assert_output ""
        run_rctr ps -a --format '{{.Names}}'
        assert_output r
}

@test "pause: rootless containers have no cgroup to freeze: one clear line" {
        run_rctr run -d --name p bb sleep 4242
        run_rctr 125 pause p
        assert_output "rctr: pause: p: pausing needs a cgroup of the container's own that the user may freeze (cgroup v2 with delegation); rootless containers here have none"
        run_rctr ps --format '{{.Names}} {{.Status}}'
        assert_output --regexp '^p Up '
        run_rctr 125 unpause p
        assert_output "rctr: unpause: p is running, not paused: cannot unpause it"
        run_rctr 125 container pause -a
        assert_output --partial "pausing needs a cgroup"
        run_rctr create --name c bb true
        run_rctr 125 pause c
        assert_output "rctr: pause: c is created, not running: cannot pause it"
        run_rctr 125 pause
        assert_output --partial "no container given"
}
