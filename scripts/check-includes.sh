#!/bin/sh
# check-includes.sh [TOP] - every third-party library is included only by
# the product files scripts/include-owners names for it (run by
# `make lint`).  Looks at every .c and .h under lib/ server/ admin/ cli/ certs/
# agent/ db/ of TOP (default: this tree), in both #include <...> and
# #include "..." form.  Each offending include is one line on stderr,
#   FILE:LINE: <HEADER>: LIBRARY may be included only by OWNER...
# and the exit status is 1; 0 when there is none, 2 when the owners file
# or the product files are missing.
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
owners=$top/scripts/include-owners
if [ ! -r "$owners" ]; then
	echo "check-includes: cannot read $owners" >&2
	exit 2
fi
cd "$top"
files=$(find lib server events admin cli certs agent db -type f \( -name '*.c' -o -name '*.h' \) \
	2>/dev/null | LC_ALL=C sort)
if [ -z "$files" ]; then
	echo "check-includes: no product files under $top" >&2
	exit 2
fi
# shellcheck disable=SC2086 # file names are plain paths without blanks
exec awk -v owners="$owners" '
# an owner glob as an anchored regular expression ("*" stays in its directory)
function glob_re(g,   r, i, c) {
	r = "^"
	for (i = 1; i <= length(g); i++) {
		c = substr(g, i, 1)
		if (c == "*")
			r = r "[^/]*"
		else if (c == "?")
			r = r "[^/]"
		else if (index(".[]()^$+{}|\\", c))
			r = r "\\" c
		else
			r = r c
	}
	return r "$"
}
function owned(file, list,   n, o, k) {
	n = split(list, o, " ")
	for (k = 1; k <= n; k++) {
		if (o[k] ~ /\/$/) {
			if (substr(file, 1, length(o[k])) == o[k])
				return 1
		} else if (file ~ glob_re(o[k])) {
			return 1
		}
	}
	return 0
}
BEGIN {
	while ((r = getline line < owners) > 0) {
		sub(/#.*/, "", line)
		n = split(line, f, " ")
		if (n == 0)
			continue
		if (n < 3) {
			printf "check-includes: %s: \"%s\" needs LIBRARY HEADER-PREFIX OWNER...\n",
			    owners, line > "/dev/stderr"
			broken = 1
			continue
		}
		nlib++
		lib[nlib] = f[1]
		prefix[nlib] = f[2]
		own[nlib] = f[3]
		for (i = 4; i <= n; i++)
			own[nlib] = own[nlib] " " f[i]
	}
	if (r < 0 || nlib == 0) {
		printf "check-includes: no rules in %s\n", owners > "/dev/stderr"
		broken = 1
	}
	if (broken)
		exit 2
}
FNR == 1 { nfiles++ }
/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
	hdr = $0
	sub(/^[ \t]*#[ \t]*include[ \t]*[<"]/, "", hdr)
	sub(/[>"].*$/, "", hdr)
	for (i = 1; i <= nlib; i++) {
		if (substr(hdr, 1, length(prefix[i])) != prefix[i] || owned(FILENAME, own[i]))
			continue
		printf "%s:%d: <%s>: %s may be included only by %s\n", FILENAME, FNR, hdr,
		    lib[i], own[i] > "/dev/stderr"
		bad++
	}
}
END {
	if (broken)
		exit 2
	if (bad) {
		printf "check-includes: %d include(s) outside their owners (scripts/include-owners)\n",
		    bad > "/dev/stderr"
		exit 1
	}
	printf "check-includes: %d files, %d libraries, every include by its owners\n", nfiles,
	    nlib
}' $files
