# Make the seed's symbolic links, then drop their list.
while IFS=$'\t' read -r target link; do
    ln -s -- "$target" "$link"
done < .wwa-links
rm -f .wwa-links
