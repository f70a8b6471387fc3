#!/bin/sh
# The lab's stand-in for kamal-proxy (busybox sh), written from kamal-proxy's command line
# (basecamp/kamal-proxy internal/cmd: deploy.go, remove.go, list.go, formatting.go), not from its code.
# It answers what Kamal and berth send to `docker exec kamal-proxy kamal-proxy ...`:
#   kamal-proxy deploy <service> --target=<host:port> [--host=... --tls --health-check-path=... ...]
#   kamal-proxy remove <service>          (alias rm)
#   kamal-proxy list                      (alias ls; kamal-proxy's own table, escapes included)
#   kamal-proxy run                       (the container's command: waits for TERM)
# State (one line per service: name, hosts, paths, target, tls; tab-separated) and the log of every call
# (`<UTC time> <exit> kamal-proxy <args...>`) live in the config volume, as kamal-proxy's state does.
# A deploy's target must resolve, on the `kamal` network, to a running container that answers (ping):
# otherwise it fails as kamal-proxy does when a target never becomes healthy. It never serves traffic.

set -f # `*` (every host) is a cell, never a glob
DIR=${KAMAL_PROXY_STATE_DIR:-/home/kamal-proxy/.config/kamal-proxy}
STATE=$DIR/kamal-proxy.state
LOG=$DIR/calls.log
mkdir -p "$DIR" && touch "$STATE" "$LOG"
TAB=$(printf '\t')

log_call() { # exit status, then the call's arguments
  rc=$1
  shift
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $rc kamal-proxy"
  for a in "$@"; do line="$line $(printf '%s' "$a" | tr '\n\t' '  ')"; done
  printf '%s\n' "$line" >>"$LOG"
}

fail() { # message (cobra prints `Error: <message>` on stderr and exits 1)
  printf 'Error: %s\n' "$1" >&2
  return 1
}

BOOL_FLAGS=' strip-path-prefix tls tls-staging tls-redirect force read-target-websockets buffer-requests buffer-responses forward-headers scope-cookie-paths '
VALUE_FLAGS=' target read-target host path-prefix tls-on-demand-url tls-certificate-path tls-private-key-path tls-acme-cache-path canonical-host deploy-timeout drain-timeout health-check-interval health-check-timeout health-check-path health-check-port health-check-host writer-affinity-timeout target-timeout buffer-memory max-request-body max-response-body error-pages log-request-header log-response-header exclude-metrics-path client-ip-header '

# A comma-separated slice flag appended to (pflag's StringSlice: repeated or comma-separated).
append_list() { if [ -z "$1" ]; then printf '%s' "$2"; else printf '%s,%s' "$1" "$2"; fi; }

deploy() {
  service= targets= hosts= paths= tls=false deploy_timeout=30s
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
      --*=*)
        name=${arg%%=*}
        name=${name#--}
        value=${arg#*=}
        ;;
      --*)
        name=${arg#--}
        case $BOOL_FLAGS in
          *" $name "*) value=true ;;
          *)
            case $VALUE_FLAGS in
              *" $name "*)
                [ $# -gt 0 ] || {
                  fail "flag needs an argument: --$name"
                  return
                }
                value=$1
                shift
                ;;
              *)
                fail "unknown flag: --$name"
                return
                ;;
            esac
            ;;
        esac
        ;;
      *)
        if [ -n "$service" ]; then
          fail "accepts 1 arg(s), received 2"
          return
        fi
        service=$arg
        continue
        ;;
    esac
    case "$BOOL_FLAGS$VALUE_FLAGS" in
      *" $name "*) ;;
      *)
        fail "unknown flag: --$name"
        return
        ;;
    esac
    case $name in
      target) targets=$(append_list "$targets" "$value") ;;
      host) hosts=$(append_list "$hosts" "$value") ;;
      path-prefix) paths=$(append_list "$paths" "$value") ;;
      tls) tls=$value ;;
      deploy-timeout) deploy_timeout=$value ;;
    esac
  done
  [ -n "$service" ] || {
    fail "accepts 1 arg(s), received 0"
    return
  }
  [ -n "$targets" ] || {
    fail 'required flag(s) "target" not set'
    return
  }
  case $service$targets$hosts$paths in *"$TAB"* | *'
'*)
    fail "service options invalid: a value holds a tab or a newline"
    return
    ;;
  esac
  if [ "$tls" = true ] && [ -z "$hosts" ]; then
    fail "service options invalid: host must be set when using TLS"
    return
  fi
  IFS=,
  for target in $targets; do
    IFS=' 	
'
    if ! printf '%s' "$target" | grep -Eq '^[A-Za-z0-9_][-_.A-Za-z0-9+]+(:[0-9]+)?$'; then
      fail "$target :invalid host pattern"
      return
    fi
    # kamal-proxy health-checks the target until the deploy timeout; the stand-in asks whether the name is a
    # running container on the `kamal` network (docker's DNS answers for a container's name and short id).
    if ! timeout 5 ping -c 1 -W 2 "${target%:*}" >/dev/null 2>&1; then
      fail "target failed to become healthy within configured timeout ($deploy_timeout)"
      return
    fi
  done
  IFS=' 	
'
  # Normalised as kamal-proxy lists them: no host is `*`, no path is `/`, a path gets one leading `/`.
  [ -n "$hosts" ] || hosts='*'
  if [ -z "$paths" ]; then
    paths=/
  else
    paths=$(printf '%s' "$paths" | tr ',' '\n' | sed 's:^/*::; s:/*$::; s:^:/:' | paste -sd, -)
  fi
  tlscell=no
  [ "$tls" = true ] && tlscell=yes
  others=$(awk -F '\t' -v s="$service" '$1 != s' "$STATE")
  # A host and path another service already serves is refused (kamal-proxy: host settings conflict).
  for h in $(printf '%s' "$hosts" | tr ',' ' '); do
    for p in $(printf '%s' "$paths" | tr ',' ' '); do
      if printf '%s\n' "$others" | awk -F '\t' -v h="$h" -v p="$p" '
          { n = split($2, hs, ","); m = split($3, ps, ",")
            for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (hs[i] == h && ps[j] == p) found = 1 }
          END { exit found ? 0 : 1 }'; then
        fail "host settings conflict with another service"
        return
      fi
    done
  done
  {
    [ -n "$others" ] && printf '%s\n' "$others"
    printf '%s\t%s\t%s\t%s\t%s\n' "$service" "$hosts" "$paths" "$targets" "$tlscell"
  } >"$STATE.new" && mv "$STATE.new" "$STATE"
}

remove() {
  [ $# -eq 1 ] || {
    fail "accepts 1 arg(s), received $#"
    return
  }
  case $1 in -*)
    fail "unknown flag: $1"
    return
    ;;
  esac
  if ! awk -F '\t' -v s="$1" '$1 == s { found = 1 } END { exit found ? 0 : 1 }' "$STATE"; then
    fail "service not found"
    return
  fi
  awk -F '\t' -v s="$1" '$1 != s' "$STATE" >"$STATE.new" && mv "$STATE.new" "$STATE"
}

# kamal-proxy's table: every cell `ESC[<style>m<text>ESC[0m`, padded to its column's widest cell, then two
# spaces; the header italic (3;94), each row's first cell bold (1;34), others plain; rows sorted by service.
list() {
  [ $# -eq 0 ] || {
    fail "unknown command \"$1\" for \"kamal-proxy list\""
    return
  }
  {
    printf 'Service\tHost\tPath\tTarget\tState\tTLS\n'
    sort -t "$TAB" -k1,1 "$STATE" | awk -F '\t' 'NF { print $1 "\t" $2 "\t" $3 "\t" $4 "\trunning\t" $5 }'
  } | awk -F '\t' '
    { rows[NR] = $0; for (i = 1; i <= NF; i++) if (length($i) > w[i]) w[i] = length($i); n = NF }
    END {
      for (r = 1; r <= NR; r++) {
        split(rows[r], cell, "\t"); line = ""
        for (i = 1; i <= n; i++) {
          style = r == 1 ? "3;94" : i == 1 ? "1;34" : ""
          line = line sprintf("\033[%sm%s\033[0m%" (w[i] - length(cell[i]) + 2) "s", style, cell[i], "")
        }
        print line
      }
    }'
}

command=$1
[ $# -gt 0 ] && shift
case $command in
  run)
    trap 'exit 0' TERM INT
    sleep 2147483647 &
    wait
    exit 0
    ;;
  deploy | remove | rm | list | ls)
    # one call at a time (busybox has no flock here): a lock directory, taken back from a call killed holding it
    tries=0
    until mkdir "$DIR/lock" 2>/dev/null; do
      tries=$((tries + 1))
      [ $tries -lt 100 ] || rm -rf "$DIR/lock"
      sleep 0.1
    done
    trap 'rmdir "$DIR/lock" 2>/dev/null' EXIT
    case $command in
      deploy) deploy "$@" ;;
      remove | rm) remove "$@" ;;
      list | ls) list "$@" ;;
    esac
    rc=$?
    log_call "$rc" "$command" "$@"
    exit "$rc"
    ;;
  *)
    printf 'Error: unknown command "%s" for "kamal-proxy"\n' "$command" >&2
    log_call 1 "$command" "$@"
    exit 1
    ;;
esac
