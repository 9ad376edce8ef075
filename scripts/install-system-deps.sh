#!/usr/bin/env bash
# Debian packages the tests and the corpus need: ffmpeg (M4A test files, benchmark anchor),
# fluidsynth + the 5 MB TimGM6mb SoundFont (sampled instruments for the labelled corpus),
# chromium (the HTML report's test renders the page in a headless browser).
set -euo pipefail
packages=(ffmpeg fluidsynth timgm6mb-soundfont chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
