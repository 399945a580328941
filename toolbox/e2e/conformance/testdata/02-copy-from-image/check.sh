cmp /copied/debian_version /etc/debian_version && test "$(cat /copied/zero)" = stage-zero
