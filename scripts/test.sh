#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine with Go installed:
#
#   bash scripts/test.sh                              # everything
#   bash scripts/test.sh -run TestOrg ./internal/org/  # extra args replace ./... for go test
#
# It provides what the tests need, installing Debian packages with apt-get when
# they are missing (as root, or through sudo):
#   - PostgreSQL: MYSYSTEMS_TEST_POSTGRES if set; else a server already answering
#     on 127.0.0.1:5432; else the local Debian cluster, installed and started here.
#   - Chromium for the browser tests: MYSYSTEMS_TEST_CHROMIUM if set, else
#     /usr/bin/chromium (Debian package chromium).
#   - oathtool (Debian package oathtool): an independent TOTP implementation
#     for the MFA tests.
#   - a C compiler, because the race detector needs cgo.
#   - staticcheck, pinned, built into .tools/bin (gitignored).
#   - Node.js 20.19+ or 22.12+ with npm for the OpenAPI lint (the Redocly CLI,
#     pinned, run with npx); not installed here: Debian 12's is too old.
# Then: gofmt, go vet, staticcheck, go test -race, and a lint of the served
# OpenAPI document. Under CI=true (.ci/run) the
# Go tests fail instead of skipping when a service is missing.
set -euo pipefail

STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2; builds with and understands Go 1.26

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

T0=$SECONDS
step_start=$SECONDS
step() {
	printf '\n==> %s\n' "$*"
	step_start=$SECONDS
}
done_step() { printf '    (%ss)\n' $((SECONDS - step_start)); }
die() {
	printf '\nscripts/test.sh: FAILED: %s\n' "$*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- privileges
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if have sudo; then
		SUDO=(sudo)
	fi
fi
as_root() {
	if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
		die "need root (or sudo) to run: $*"
	fi
	"${SUDO[@]}" "$@"
}

APT_UPDATED=
apt_install() {
	have apt-get || die "apt-get not found: install $* yourself (this script targets Debian 12)"
	echo "    installing Debian packages: $*"
	if [ -z "$APT_UPDATED" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || die "apt-get update failed"
		APT_UPDATED=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" ||
		die "apt-get install $* failed"
}

# ---------------------------------------------------------------- C compiler
step "C compiler (the race detector needs cgo)"
if ! have gcc; then
	apt_install gcc libc6-dev
fi
export CGO_ENABLED=1
echo "    $(gcc --version | head -n1)"
done_step

# ---------------------------------------------------------------- PostgreSQL
step "PostgreSQL"

# pg_try URL: does a server answer at URL and let us in? (-w: never prompt)
pg_try() { PGCONNECT_TIMEOUT=5 psql -w -X -q -At -d "$1" -c 'SELECT 1' >/dev/null 2>&1; }

redact() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

port_open() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432' 2>/dev/null; }

pg_local_urls() {
	local auth db
	for auth in "postgres" "postgres:postgres"; do
		for db in test postgres; do
			echo "postgres://${auth}@127.0.0.1:5432/${db}?sslmode=disable"
		done
	done
}

pg_find_local() {
	local u
	for u in $(pg_local_urls); do
		if pg_try "$u"; then
			echo "$u"
			return 0
		fi
	done
	return 1
}

# newest version in DIR (/etc/postgresql: clusters; /usr/lib/postgresql: servers)
pg_newest() { { ls -1 "$1" 2>/dev/null || true; } | grep -E '^[0-9]+(\.[0-9]+)?$' | sort -V | tail -n1 || true; }

if [ -n "${MYSYSTEMS_TEST_POSTGRES:-}" ]; then
	echo "    using MYSYSTEMS_TEST_POSTGRES=$(redact "$MYSYSTEMS_TEST_POSTGRES")"
	if ! have psql; then
		apt_install postgresql-client
	fi
	pg_try "$MYSYSTEMS_TEST_POSTGRES" ||
		die "cannot connect to MYSYSTEMS_TEST_POSTGRES=$(redact "$MYSYSTEMS_TEST_POSTGRES")"
else
	if port_open; then
		echo "    a server answers on 127.0.0.1:5432"
		have psql || apt_install postgresql-client
	else
		if ! have pg_ctlcluster || [ -z "$(pg_newest /usr/lib/postgresql)" ]; then
			apt_install postgresql
		fi
		ver=$(pg_newest /etc/postgresql)
		if [ -z "$ver" ] || [ ! -d "/etc/postgresql/$ver/main" ]; then
			ver=${ver:-$(pg_newest /usr/lib/postgresql)}
			[ -n "$ver" ] || die "PostgreSQL is installed but no server version is found in /usr/lib/postgresql"
			echo "    creating cluster $ver/main"
			as_root pg_createcluster "$ver" main || die "pg_createcluster $ver main failed"
		fi
		if ! port_open; then
			echo "    starting cluster $ver/main"
			as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
				die "could not start PostgreSQL $ver/main (see /var/log/postgresql/)"
		fi
		for _ in $(seq 1 60); do
			port_open && pg_isready -q -h 127.0.0.1 -p 5432 && break
			sleep 0.5
		done
		pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL $ver/main does not answer on 127.0.0.1:5432"
		if ! pg_find_local >/dev/null; then
			# A fresh Debian cluster asks for a password over TCP and the postgres
			# role has none: give it a known one (local socket, peer auth).
			echo "    setting a password for role postgres (local test cluster)"
			as_root su postgres -s /bin/sh -c "cd / && psql -X -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" ||
				die "could not set the postgres password"
		fi
	fi
	MYSYSTEMS_TEST_POSTGRES=$(pg_find_local) ||
		die "PostgreSQL answers on 127.0.0.1:5432 but none of these URLs let us in:
$(pg_local_urls | sed 's/^/      /')
    set MYSYSTEMS_TEST_POSTGRES=postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=disable (a role that may CREATE SCHEMA)"
	echo "    MYSYSTEMS_TEST_POSTGRES=$(redact "$MYSYSTEMS_TEST_POSTGRES")"
fi
export MYSYSTEMS_TEST_POSTGRES
pg_version=$(psql -w -X -At -d "$MYSYSTEMS_TEST_POSTGRES" -c 'SHOW server_version') ||
	die "cannot query PostgreSQL at $(redact "$MYSYSTEMS_TEST_POSTGRES")"
echo "    server version $pg_version"
done_step

# ---------------------------------------------------------------- Chromium
step "Chromium"
if [ -n "${MYSYSTEMS_TEST_CHROMIUM:-}" ]; then
	[ -x "$MYSYSTEMS_TEST_CHROMIUM" ] || die "MYSYSTEMS_TEST_CHROMIUM=$MYSYSTEMS_TEST_CHROMIUM is not an executable"
else
	if [ ! -x /usr/bin/chromium ]; then
		apt_install chromium fonts-liberation
	fi
	MYSYSTEMS_TEST_CHROMIUM=/usr/bin/chromium
fi
export MYSYSTEMS_TEST_CHROMIUM
echo "    MYSYSTEMS_TEST_CHROMIUM=$MYSYSTEMS_TEST_CHROMIUM"
chromium_version=$("$MYSYSTEMS_TEST_CHROMIUM" --version 2>/dev/null) ||
	die "$MYSYSTEMS_TEST_CHROMIUM --version failed"
echo "    $chromium_version"
done_step

# ---------------------------------------------------------------- oathtool
# An independent TOTP implementation: the MFA tests check that its codes are
# accepted (ID-3).
step "oathtool"
if ! have oathtool; then
	apt_install oathtool
fi
echo "    $(oathtool --version | head -n1)"
done_step

# ---------------------------------------------------------------- staticcheck
step "staticcheck $STATICCHECK_VERSION"
TOOLS_BIN="$ROOT/.tools/bin"
STATICCHECK="$TOOLS_BIN/staticcheck"
want_sc=${STATICCHECK_VERSION#v}
go_now=$(go env GOVERSION)
# Rebuild when the pinned version or the Go toolchain changed: staticcheck
# must be built by a Go at least as new as the code it checks.
sc_have=$("$STATICCHECK" -version 2>/dev/null || true)
sc_built_with=$(go version "$STATICCHECK" 2>/dev/null || true)
if [[ $sc_have != *"($want_sc)"* || ${sc_built_with##* } != "$go_now" ]]; then
	echo "    building into .tools/bin with $go_now"
	mkdir -p "$TOOLS_BIN"
	# GOTOOLCHAIN: build with the toolchain this module selects (go.mod), not
	# the one staticcheck's own go.mod would pick.
	tc=$go_now
	[[ $tc =~ ^go[0-9.]+$ ]] || tc=local
	GOTOOLCHAIN="$tc" GOBIN="$TOOLS_BIN" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ||
		die "could not build staticcheck $STATICCHECK_VERSION"
fi
echo "    $("$STATICCHECK" -version)"
done_step

# ---------------------------------------------------------------- checks
go version

step "gofmt -l"
mapfile -t unformatted < <(find . -name '*.go' -not -path './.git/*' -not -path './.tools/*' -not -path './tmp/*' -print0 |
	xargs -0 -r gofmt -l)
if [ ${#unformatted[@]} -gt 0 ]; then
	printf '    %s\n' "${unformatted[@]}"
	die "these files are not gofmt'ed (run: gofmt -w <file>)"
fi
echo "    ok"
done_step

step "go vet ./..."
go vet ./... || die "go vet"
done_step

step "staticcheck ./..."
"$STATICCHECK" ./... || die "staticcheck"
done_step

if [ $# -gt 0 ]; then
	test_args=("$@")
else
	test_args=(./...)
fi
step "go test -race -count=1 ${test_args[*]}  (CI=${CI:-false})"
go test -race -count=1 "${test_args[@]}" || die "go test (total $((SECONDS - T0))s)"
done_step

# ---------------------------------------------------------------- OpenAPI lint
# The document the server serves, linted with Redocly's recommended rules
# (exceptions, each with its reason, in redocly.yaml); warnings fail too. npx
# fetches the pinned CLI from the npm registry npm is configured with. The CLI
# needs Node.js 20.19+ (or 22.12+), newer than Debian 12's: without it the
# step is skipped, except under CI=true, where it fails.
REDOCLY_VERSION=2.77.0
step "OpenAPI document: redocly lint ($REDOCLY_VERSION)"
node_ok() {
	local v major minor
	have npx && v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%.*}
	[ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 12 ]; } || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }
}
if ! node_ok; then
	need="Node.js 20.19+ or 22.12+ with npm (found: $(node --version 2>/dev/null || echo none))"
	[ "${CI:-}" != true ] || die "the OpenAPI lint needs $need"
	echo "    SKIPPED: the OpenAPI lint needs $need"
else
	echo "    node $(node --version), npm $(npm --version)"
	openapi_dir=$(mktemp -d)
	trap 'rm -rf "$openapi_dir"' EXIT
	MYSYSTEMS_OPENAPI_OUT="$openapi_dir/openapi.json" go test -count=1 -run '^TestOpenAPIDocumentWrite$' ./internal/httpapi/ >/dev/null ||
		die "could not write the OpenAPI document"
	[ -s "$openapi_dir/openapi.json" ] || die "the OpenAPI document was not written"
	lint_rc=0
	lint_out=$(npx --yes "@redocly/cli@$REDOCLY_VERSION" lint --extends recommended "$openapi_dir/openapi.json" 2>&1) || lint_rc=$?
	grep -v '[║╔╚]' <<<"$lint_out" | sed -e '/^[[:space:]]*$/d' -e 's/^/    /'
	[ "$lint_rc" -eq 0 ] || die "redocly lint of the OpenAPI document found errors"
	if grep -Eq 'You have [0-9]+ warnings?' <<<"$lint_out"; then
		die "redocly lint of the OpenAPI document found warnings (fix them, or turn the rule off in redocly.yaml with the reason)"
	fi
fi
done_step

printf '\nscripts/test.sh: all steps passed in %ss\n' $((SECONDS - T0))
