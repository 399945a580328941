test "$(cat /from-cache)" = kept && ! test -e /cache/file
