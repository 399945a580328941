cd /ctx && test -f README.md && ! test -e NOTES.md && ! test -e tmp && test -f app.txt && ! test -e sub/x.log && test -f keep/y.log
