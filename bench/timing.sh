# SPDX-License-Identifier: BSD-2-Clause
# Timing helpers for the bench scripts (sourced, not run): the wall time of a command, the
# median of several figures with their spread, and two measurements taken side by side (one
# of each, alternately, so that the noise of a shared machine falls on both).

wall() { # command... -> the seconds it took, its output discarded; a failure stops
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

curl_time() { # URL -> curl's total time in seconds, the body discarded; an HTTP error stops
    curl -sf -o /dev/null -w '%{time_total}\n' "$1" || { echo "failed: $1" >&2; return 1; }
}

median() { # figures, one a line -> their median
    sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

spread() { # [SCALE [DECIMALS [UNIT]]] < figures, one a line -> "median UNIT (min .. max)"
    local scale=${1:-1} dec=${2:-2} unit=${3:-}
    sort -g | awk -v k="$scale" -v d="$dec" -v u="$unit" '{v[NR] = $1 * k}
        END {f = "%." d "f"; printf f "%s (" f " .. " f ")\n", v[int((NR + 1) / 2)], u ? " " u : "", v[1], v[NR]}'
}

# side_by_side REPS SCALE DECIMALS UNIT MEASURE_A... --vs-- MEASURE_B...
#   -> "A | B | B/A": each measure command prints seconds for one run; A and B alternate REPS
#   times; medians with their spread, and the ratio of the medians with the spread of the
#   ratios of each pair
side_by_side() {
    local reps=$1 scale=$2 dec=$3 unit=$4 cur=a x i u v ta="" tb="" r=""
    local -a a=() b=()
    shift 4
    for x; do
        if [ "$x" = --vs-- ]; then cur=b; elif [ $cur = a ]; then a+=("$x"); else b+=("$x"); fi
    done
    for ((i = 0; i < reps; i++)); do
        u=$("${a[@]}") || return 1
        v=$("${b[@]}") || return 1
        ta+="$u"$'\n'; tb+="$v"$'\n'; r+="$(echo "$v / $u" | bc -l)"$'\n'
    done
    local ma mb
    ma=$(printf '%s' "$ta" | median)
    mb=$(printf '%s' "$tb" | median)
    printf '%s | %s | %.2f (%s)\n' "$(printf '%s' "$ta" | spread "$scale" "$dec" "$unit")" \
        "$(printf '%s' "$tb" | spread "$scale" "$dec" "$unit")" "$(echo "$mb / $ma" | bc -l)" \
        "$(printf '%s' "$r" | sort -g | awk '{v[NR] = $1} END {printf "%.2f .. %.2f", v[1], v[NR]}')"
}
