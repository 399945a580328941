test -f /dst/a1.txt && test -f /dst/a2.txt && ! test -e /dst/b.txt && test -f /dst/inner && test -f "/spaced/with space.txt"
