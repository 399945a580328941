! test -e /ctx/secret.txt && test -f /ctx/public.txt
