test "$(stat -c "%u:%g" /usr/local/bin/tool.sh)" = "1234:5678" && test "$(stat -c "%u:%g" /data/sub/b)" = "42:42" && test "$(stat -c "%u:%g" /notes.txt)" = "7:7"
