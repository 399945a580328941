test "$(cat /joined)" = "one two" && test "$WINPATH" = "C:\tools"
