#!/bin/sh
# Every command that `rctr --help` lists has a man page, and every flag that a command's --help
# shows appears in that page (in the spirit of podman's hack/xref-helpmsgs-manpages). TAP output.
: "${RCTR:?}" "${top_srcdir:?}"
n=0
fail=0
say() { n=$((n + 1)); echo "$1 $n - $2"; [ "$1" = ok ] || fail=1; }

cmds=$("$RCTR" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$cmds" ] && say ok "rctr --help lists commands" || say "not ok" "rctr --help lists commands"
for page in rctr; do
        [ -f "$top_srcdir/man/$page.1.md" ] && say ok "man page $page" || say "not ok" "man page $page"
done
for c in $cmds; do
        md="$top_srcdir/man/rctr-$c.1.md"
        if [ ! -f "$md" ]; then
                say "not ok" "man page rctr-$c.1.md for command $c"
                continue
        fi
        say ok "man page rctr-$c.1.md"
        grep -q "^| $c |" "$top_srcdir/man/rctr.1.md" && say ok "rctr.1 lists $c" || say "not ok" "rctr.1 lists $c"
        # the command's own options: the block between "Options:" and "Global options:"
        flags=$("$RCTR" "$c" --help | sed -n '/^Options:/,/^Global options:/p' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
        for f in $flags; do
                grep -q -- "\*\*$f\*\*" "$md" && say ok "rctr-$c.1 documents $f" || say "not ok" "rctr-$c.1 documents $f"
        done
done
for f in $("$RCTR" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -q -- "\*\*$f\*\*" "$top_srcdir/man/rctr.1.md" && say ok "rctr.1 documents $f" || say "not ok" "rctr.1 documents $f"
done
# rctr oci: every verb has a section of rctr-oci.1, and its flags are documented there
oci_md="$top_srcdir/man/rctr-oci.1.md"
for v in $("$RCTR" oci --help | sed -n '/^Verbs:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
        grep -q "^## $v\b" "$oci_md" && say ok "rctr-oci.1 has verb $v" || say "not ok" "rctr-oci.1 has verb $v"
        for f in $("$RCTR" oci "$v" --help | sed -n '/^Options:/,$p' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
                [ "$f" = --help ] && continue
                grep -q -- "\*\*$f\*\*" "$oci_md" && say ok "rctr-oci.1 documents $v $f" ||
                        say "not ok" "rctr-oci.1 documents $v $f"
        done
done
echo "1..$n"
exit $fail
