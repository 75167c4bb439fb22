#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: strace (syscall-contract tests),
# socat and nc (real peers), valgrind (memcheck run), curl and python3 (real peers), ip
# (tests/namespaces: network namespaces with a silent host and multicast; unshare and mount come with
# util-linux).
set -euo pipefail
need=()
command -v strace >/dev/null || need+=(strace)
command -v socat >/dev/null || need+=(socat)
command -v nc >/dev/null || need+=(netcat-openbsd)
command -v valgrind >/dev/null || need+=(valgrind)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "ci/install.sh: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
