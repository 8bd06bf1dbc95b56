#!/bin/sh
# Fails when a source folder includes something its layer may not depend on
# (see the dependency table in README.md). Usage: check_layering.sh SOURCE_DIR
set -u
root=${1:-.}
status=0
check() {
  folder=$1; pattern=$2; why=$3
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" \
         "$root/$folder" --include='*.h' --include='*.cpp' 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering violation in $folder/ ($why):"
    echo "$hits"
    status=1
  fi
}
check domain  'storage/|wecom/|bot/|boost/|SQLiteCpp/|sqlite3|openssl/|spdlog/|pugixml' \
      'domain is pure: standard library and date only'
check storage 'wecom/|bot/|boost/asio|boost/beast|openssl/|pugixml|spdlog/' \
      'storage depends on domain and SQLite only'
check wecom   'domain/|storage/|bot/|SQLiteCpp/|sqlite3' \
      'wecom is the protocol SDK and knows nothing of the application'
exit $status
