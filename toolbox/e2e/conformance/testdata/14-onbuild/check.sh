test -f /parent && ! test -e /child
