#!/usr/bin/env bash
# Installs what building and testing tcpflow needs on Debian 12 (run as root). Quiet when all is there.
set -euo pipefail
# tcpdump: live_test's tcpdump | tcpflow -r - pipeline; tcpreplay: replay_live_test, and with tcpflow (1.6.1, the
# reference; tests never run it, they run the built binary): tools/bench.py, tools/bench_live.py.
# parallel and python3-yaml: the --shard recipes of docs/scale-out.md (tests/shard_e2e_test.cpp);
# tools/slurm_shard.sh installs slurm-wlm and munge itself.
# libcairo2-dev, poppler-utils: netviz draws with cairo; its e2e test reads the pages back.
# libssl-dev: -S hash=sha256; python3-jsonschema: the flow index tests; tshark: UDP, index, netviz truth.
# dpkg-dev (dpkg-shlibdeps), lintian: install_test builds and checks the .deb; zsh: completion_test.
pkgs=(cmake g++ make pkg-config libpcap-dev libcli11-dev googletest libgtest-dev libgmock-dev
      zlib1g-dev libbz2-dev liblzma-dev libzstd-dev liblz4-dev python3 iproute2 libbenchmark-dev
      time clang libclang-rt-14-dev tcpdump tcpreplay tcpflow tshark libssl-dev openssl python3-jsonschema
      libcairo2-dev poppler-utils
      parallel python3-yaml dpkg-dev lintian zsh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
