test "$(cat /shell)" = bash && test -f /pipefail
