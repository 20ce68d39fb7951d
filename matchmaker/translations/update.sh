#!/bin/sh
# Refresh the Chinese catalogues from the source and build the .mo files the app loads.
#
#   sh matchmaker/translations/update.sh                 extract + update (or init) + compile
#   sh matchmaker/translations/update.sh compile         compile only (set-up, deployment: .mo files
#                                                        are git-ignored)
#   sh matchmaker/translations/update.sh extract FILE    write the message template to FILE only
#                                                        (tests/test_i18n.py uses this)
#
# After an update, translate every empty or "#, fuzzy" entry in both .po files, then run it again:
# tests/test_i18n.py fails while any message lacks a finished translation.
set -eu
cd "$(dirname "$0")/../.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
DIR=matchmaker/translations
LOCALES="zh_Hant_HK zh_Hans_CN"

extract() {
    # --ignore-dirs replaces Babel's default, which also skips every directory starting with "_"
    # and so would miss templates/_macros and templates/_partials.
    "$PYBABEL" -q extract -F babel.cfg -k _l -k lazy_gettext -c TRANSLATORS: \
        --ignore-dirs=".* __pycache__" --add-location=file --sort-by-file \
        --project=Matchmaker -o "$1" .
}

case "${1:-update}" in
    extract) extract "$2"; exit 0 ;;
    compile) ;;
    update)
        POT="$(mktemp "${TMPDIR:-/tmp}/matchmaker-XXXXXX.pot")"
        trap 'rm -f "$POT"' EXIT
        extract "$POT"
        for locale in $LOCALES; do
            if [ -f "$DIR/$locale/LC_MESSAGES/messages.po" ]; then
                "$PYBABEL" -q update -i "$POT" -d "$DIR" -l "$locale" --ignore-obsolete
            else
                "$PYBABEL" -q init -i "$POT" -d "$DIR" -l "$locale"
            fi
        done
        for locale in $LOCALES; do
            "$PYBABEL" compile --statistics -d "$DIR" -l "$locale" -o /dev/null 2>&1 | grep translated
        done ;;
    *) echo "usage: $0 [update|compile|extract FILE]" >&2; exit 2 ;;
esac
"$PYBABEL" -q compile -d "$DIR"
