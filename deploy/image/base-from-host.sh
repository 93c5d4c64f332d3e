#!/bin/sh
# Makes a base image from this machine's own Node.js, for places with no image registry (CI):
# a root file system holding the node binary and the shared libraries `ldd` lists, imported with
# `podman import`. Usage: deploy/image/base-from-host.sh <image-name>
set -eu
image=${1:?usage: base-from-host.sh <image-name>}
node=$(command -v node)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/etc"
cp "$node" "$root/usr/bin/node"
# Lines look like "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)".
for lib in $(ldd "$node" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# A passwd entry for the image's user, so tools that look the user up find one.
printf 'root:x:0:0:root:/root:/sbin/nologin\nfirebreak:x:10001:10001:firebreak:/data:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nfirebreak:x:10001:\n' > "$root/etc/group"
tar -C "$root" -c . | ${ENGINE:-podman} ${ENGINE_FLAGS:-} import --change 'ENV PATH=/usr/bin' - "$image" >/dev/null
echo "$image"
