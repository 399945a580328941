test "$A" = 1 && test "$B" = "two words"
