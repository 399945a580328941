test "$(cat /suite)" = bookworm
