test "$(cat /opt/artifact)" = built && test "$(stat -c %a /opt/artifact)" = 640
