#!/bin/bash
# Partial credit: the share of the four files that are right.
right=0
[ "$(cat /work/sum.txt 2>/dev/null)" = 42 ] && right=$((right + 1))
[ "$(cat /work/product.txt 2>/dev/null)" = 42 ] && right=$((right + 1))
[ "$(cat /work/square.txt 2>/dev/null)" = 144 ] && right=$((right + 1))
[ "$(cat /work/root.txt 2>/dev/null)" = 13 ] && right=$((right + 1))
echo "$right of 4 right"
printf '{"reward": %s, "right": %s}\n' "$(awk "BEGIN { print $right / 4 }")" "$right" > /logs/verifier/reward.json
