test "$(/opt/bundle/bin/run)" = run && test -f /opt/bundle/README && test -f /opt/plain/plain.txt
