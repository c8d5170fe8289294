# Give every file its seed-dependent modification time, then drop the list.
while IFS=$'\t' read -r t p; do
    touch -m -d "@$t" -- "$p"
done < .wwa-mtimes
rm -f .wwa-mtimes
