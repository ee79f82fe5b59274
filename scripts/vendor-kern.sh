#!/usr/bin/env bash
# Refreshes the vendored KERN UX design system (npm @kern-ux/native, EUPL-1.2).
# Rathaus serves these files itself (no CDN, DSGVO); they are committed so that a
# fresh clone builds without npm. Run this to move to another KERN release.
set -euo pipefail
version="${1:-2.7.2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/crates/rathaus-web/assets/vendor/kern"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@kern-ux/native@$version" >/dev/null && tar xzf kern-ux-native-*.tgz)
src="$work/package/dist"
rm -rf "$dest" && mkdir -p "$dest/fonts"
cp "$src/kern.min.css" "$dest/"
cp "$work/package/LICENSE.md" "$dest/"
# Only the Fira Sans cuts KERN's stylesheet asks for (400, 500, 600, italic 400);
# our own fonts.css declares them.
for cut in Regular Italic Medium SemiBold; do
  cp "$src/fonts/fira-sans/FiraSans-$cut.woff2" "$dest/fonts/"
done
echo "@kern-ux/native $version" > "$dest/VERSION"
echo "KERN $version vendored into $dest"
