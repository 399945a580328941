test "$(stat -c %u /dest/f)" = 7 && test "$(cat /exec)" = exec-form
