test -f /ctx/app.txt && ! test -e /ctx/debug.log && ! test -e /ctx/tmp
