#!/usr/bin/env bash
# The generated parts of docs/ match what the code says today.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}"
doc="$FH_SRC/docs/decoders.md"
want=$("$FH_BIN" decode --list-elements)
have=$(sed -n '/<!-- elements:begin -->/,/<!-- elements:end -->/p' "$doc" | sed '1d;$d')
if [ "$want" != "$have" ]; then
    echo "docs/decoders.md: the element table differs from 'flowhound decode --list-elements':"
    diff <(echo "$have") <(echo "$want") || true
    exit 1
fi
echo "docs/decoders.md element table in sync"
