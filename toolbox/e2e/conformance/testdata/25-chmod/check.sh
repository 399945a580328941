test "$(stat -c %a /usr/local/bin/tool.sh)" = 750 && test "$(stat -c %a /notes.txt)" = 600 && test "$(tool.sh)" = tool
