test "$(cat /from-context)" = from-context && test "$(cat /from-stage)" = from-stage
