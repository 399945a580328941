test -f /secret-seen && ! test -s /run/secrets/tok
