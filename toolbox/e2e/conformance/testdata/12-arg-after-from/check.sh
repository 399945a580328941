test "$(cat /message)" = "hi, tbx" && test "$MESSAGE" = "hi, tbx"
