test -f /healthy
