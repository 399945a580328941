test "$(cat /made/one)" = first && test "$(cat /made/two)" = second && test "$(cat /made/shell)" = bash
