#!/usr/bin/env bash
# The launcher's dependency step on a simulated fresh machine, without
# uninstalling anything: PATH shims stand in for dpkg-query (which, like the
# real one, exits 1 when a package was never installed), dpkg, id and
# apt-get (which records its arguments and "installs" into the shims' state).
# Checks: exactly the missing packages are installed, after `apt-get update`
# and with a message saying so; a second run installs nothing; a failing
# apt-get gives one line naming the command and the packages, and a non-zero
# exit; piped output carries no colour codes.
set -uo pipefail
LAUNCHER="$PWD/pytorrent"
T="${TEST_TMPDIR:-$(mktemp -d)}/launcher"
rm -rf "$T"
mkdir -p "$T/shims"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The package list the launcher asks about (read from the launcher itself).
mapfile -t ALL < <(PYTORRENT_LAUNCHER_LIB=1 bash -c 'source "$1"; printf "%s\n" "${PACKAGES[@]}"' _ "$LAUNCHER")
[ "${#ALL[@]}" -gt 10 ] || fail "could not read the launcher's package list"

cat >"$T/shims/dpkg-query" <<'SHIM'
#!/usr/bin/env bash
# Fake dpkg-query -W -f=FMT PKG...: "PKG ii " for installed ones (listed in
# $SHIM_STATE/installed), an error on stderr and exit 1 for the others.
rc=0
for a in "$@"; do
  case "$a" in -*) continue ;; esac
  if grep -qx "$a" "$SHIM_STATE/installed"; then
    printf '%s ii \n' "$a"
  else
    echo "dpkg-query: no packages found matching $a" >&2
    rc=1
  fi
done
exit $rc
SHIM
cat >"$T/shims/apt-get" <<'SHIM'
#!/usr/bin/env bash
# Fake apt-get: records its arguments; `install` marks the packages installed
# unless $SHIM_STATE/apt-fails exists (then exits 100, as apt-get does).
echo "apt-get $*" >>"$SHIM_STATE/apt.log"
[ -e "$SHIM_STATE/apt-fails" ] && { echo "E: Unable to locate package" >&2; exit 100; }
if [ "${1:-}" = install ]; then
  for a in "$@"; do case "$a" in install | -*) ;; *) echo "$a" >>"$SHIM_STATE/installed" ;; esac; done
fi
exit 0
SHIM
printf '#!/bin/sh\necho amd64\n' >"$T/shims/dpkg"
printf '#!/bin/sh\n[ "$1" = -u ] && { echo 0; exit 0; }\nexec /usr/bin/id "$@"\n' >"$T/shims/id"
chmod +x "$T/shims/"*
export SHIM_STATE="$T/state"
mkdir -p "$SHIM_STATE"
export PATH="$T/shims:/usr/bin:/bin"

# A machine with everything but three packages.
MISSING=(bazel-bootstrap libzmq3-dev redis-server)
for p in "${ALL[@]}"; do
  case " ${MISSING[*]} " in *" $p "*) ;; *) echo "$p" ;; esac
done >"$SHIM_STATE/installed"

echo "== --dry-run lists what is missing"
dry="$("$LAUNCHER" deps --dry-run)" || fail "deps --dry-run exited $?"
echo "$dry"
[ "$dry" = "$(printf '%s\n' "${MISSING[@]}")" ] || fail "dry run listed: $dry"
[ ! -e "$SHIM_STATE/apt.log" ] || fail "a dry run ran apt-get"

echo "== first run installs exactly the missing packages"
"$LAUNCHER" deps </dev/null 2>"$T/err1" || { cat "$T/err1"; fail "deps exited non-zero"; }
cat "$T/err1"
grep -qx "\[pytorrent\] installing Debian packages: ${MISSING[*]}" "$T/err1" ||
  fail "no 'installing Debian packages' line naming exactly the missing ones"
cat "$SHIM_STATE/apt.log"
[ "$(sed -n 1p "$SHIM_STATE/apt.log")" = "apt-get update -qq" ] || fail "apt-get update did not come first"
[ "$(sed -n 2p "$SHIM_STATE/apt.log")" = \
  "apt-get install -y -qq --no-install-recommends ${MISSING[*]}" ] || fail "wrong install command"
[ "$(wc -l <"$SHIM_STATE/apt.log")" -eq 2 ] || fail "apt-get ran more than twice"
grep -q $'\033' "$T/err1" && fail "colour codes in piped output"

echo "== second run installs nothing"
: >"$SHIM_STATE/apt.log"
"$LAUNCHER" deps </dev/null 2>"$T/err2" || fail "second run exited non-zero"
[ ! -s "$SHIM_STATE/apt.log" ] || fail "second run ran: $(cat "$SHIM_STATE/apt.log")"
[ ! -s "$T/err2" ] || fail "second run printed: $(cat "$T/err2")"

echo "== a fresh machine: nothing installed at all (dpkg-query exits 1)"
: >"$SHIM_STATE/installed"
: >"$SHIM_STATE/apt.log"
"$LAUNCHER" deps </dev/null 2>"$T/err3" || { cat "$T/err3"; fail "fresh machine: exited non-zero"; }
[ "$(sed -n 2p "$SHIM_STATE/apt.log")" = \
  "apt-get install -y -qq --no-install-recommends ${ALL[*]}" ] || fail "fresh machine: wrong install"

echo "== a failing apt-get: one line naming the command and the packages, exit non-zero"
: >"$SHIM_STATE/installed"
touch "$SHIM_STATE/apt-fails"
"$LAUNCHER" deps </dev/null 2>"$T/err4" && fail "a failing apt-get still exited 0"
cat "$T/err4"
errors="$(grep -c '^pytorrent: ' "$T/err4")"
[ "$errors" -eq 1 ] || fail "expected one error line, got $errors"
grep -q "^pytorrent: 'apt-get update' failed" "$T/err4" || fail "error line does not name apt-get update"
# apt-get update succeeds but install fails.
cat >"$T/shims/apt-get" <<'SHIM'
#!/usr/bin/env bash
echo "apt-get $*" >>"$SHIM_STATE/apt.log"
[ "${1:-}" = install ] && { echo "E: Unable to locate package" >&2; exit 100; }
exit 0
SHIM
"$LAUNCHER" test </dev/null >"$T/out5" 2>"$T/err5" && fail "'pytorrent test' went on after a failed install"
cat "$T/err5"
[ "$(grep -c '^pytorrent: ' "$T/err5")" -eq 1 ] || fail "expected one error line"
grep -q "^pytorrent: 'apt-get install ${ALL[*]}' failed (exit 100) -- run that command by hand" "$T/err5" ||
  fail "error line does not name the install command and its packages"
[ ! -s "$T/out5" ] || fail "tests ran after a failed install"
echo "PASS"
