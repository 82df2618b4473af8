#!/usr/bin/env bash
# Cuts the committed King James Version text out of Debian's bible-kjv-text (through the bible-kjv program):
# one verse per line, without book and chapter headings or verse numbers. Training text: Genesis and Exodus;
# held-out text: the Gospel of Matthew. Run from this folder: bash cut.sh
set -euo pipefail
command -v bible >/dev/null || { echo "cut.sh: install Debian's bible-kjv (and bible-kjv-text)" >&2; exit 1; }
verses() { bible -l100000 "$1" | sed -n 's/^ *[0-9][0-9]* //p'; }
verses "Gen1:1-Exo40:38" > train.txt
verses "Mat1:1-Mat28:20" > held-out.txt
