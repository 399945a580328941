a=$(dpkg --print-architecture); test "$(cat /platform)" = "linux/$a linux $a linux/$a"
