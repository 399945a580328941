test -f /agent-seen && test -f /deploy-seen
