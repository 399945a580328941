test "$(cat /pwd)" = /app && test -f /app/sub/f && test -f /app/f
