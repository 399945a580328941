test "$(cat /greeting)" = "hello world" && test "$(cat /literal)" = 'hello $WHO' && test "$(hi)" = hi
