#!/bin/sh
# docs/lua-api.md is what tools/lua_api_doc.lua makes from stdlib/meta/*.lua:
# regenerate it into a temporary file and compare.
#   sh tests/e2e/lua_api_doc_check.sh [SOURCE_DIR [LUA]]
# SOURCE_DIR defaults to the tree this script is in, LUA to lua5.4.
set -eu
here=$(dirname "$0")
src=${1:-$here/../..}
lua=${2:-lua5.4}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$lua" "$src/tools/lua_api_doc.lua" --root "$src" --out "$tmp"
if ! diff -u "$src/docs/lua-api.md" "$tmp" >&2; then
  echo "docs/lua-api.md is out of date: run lua5.4 tools/lua_api_doc.lua" >&2
  exit 1
fi
echo "docs/lua-api.md is up to date"
