test "$(stat -c %a /usr/local/bin/script)" = 755 && test "$(script)" = script
