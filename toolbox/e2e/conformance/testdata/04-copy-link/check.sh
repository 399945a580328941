test "$(cat /linked/one)" = 1 && test "$(cat /linked/two)" = 2
