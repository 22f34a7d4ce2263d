#!/bin/bash
# One command on a fresh Debian 12: install what rctr needs, build, install, and run a real
# container (an image made from Debian's busybox-static: no registry or network needed).
#   ./quickstart.sh            as a user with sudo, or as root
# Environment: PREFIX (default /usr/local); RCTR_DEMO_USER: as root, the unprivileged user who
# runs the demo (default: $SUDO_USER; without either the demo runs as root, with no user
# namespace).
set -euo pipefail
cd "$(dirname "$0")"
prefix=${PREFIX:-/usr/local}

as_root() {
        if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=(autoconf automake make gcc libc6-dev pkgconf libcurl4-openssl-dev libarchive-dev
        libjansson-dev libslirp-dev libglib2.0-dev libsubid-dev libseccomp-dev libcap-dev
        libssl-dev zlib1g-dev libzstd-dev go-md2man uidmap fuse-overlayfs busybox-static)
echo "==> installing Debian packages: ${packages[*]}"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${packages[@]}" >/dev/null

echo "==> building rctr"
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build-quickstart
(cd build-quickstart && ../configure -q --prefix="$prefix" && make -s -j"$(nproc)") >/dev/null
echo "==> installing into $prefix"
as_root make -s -C build-quickstart install >/dev/null

demo_user=${RCTR_DEMO_USER:-${SUDO_USER:-}}
run_demo() {
        if [ "$(id -u)" -eq 0 ] && [ -n "$demo_user" ]; then
                local uid
                uid=$(id -u "$demo_user")
                # a login session would have made XDG_RUNTIME_DIR; su/sudo do not
                install -d -m 0700 -o "$demo_user" -g "$(id -g "$demo_user")" "/run/user/$uid"
                runuser -u "$demo_user" -- env XDG_RUNTIME_DIR="/run/user/$uid" \
                        HOME="$(getent passwd "$demo_user" | cut -d: -f6)" "$@"
        else
                "$@"
        fi
}
echo "==> rctr info (as ${demo_user:-$(id -un)})"
run_demo "$prefix/bin/rctr" info
echo "==> rctr unshare cat /proc/self/uid_map"
run_demo "$prefix/bin/rctr" unshare cat /proc/self/uid_map

echo "==> a busybox image from Debian's busybox-static (rctr import), then a container of it"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/root"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
chmod -R a+rX "$work"
run_demo "$prefix/bin/rctr" import -q "$work/busybox.tar" localhost/quickstart-busybox
echo "==> rctr run --rm quickstart-busybox sh -c 'echo hello from ...'"
run_demo "$prefix/bin/rctr" run --rm quickstart-busybox \
        sh -c 'echo "hello from a rootless container: uid $(id -u), pid $$, host $(hostname)"'
