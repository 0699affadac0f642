#!/bin/sh
# Runs in the nginx image's /docker-entrypoint.d/ after the templates were rendered:
# keeps the HTTPS site when NGINX_TLS=on, else the plain HTTP one. (POSIX sh: the image has no bash.)
set -eu

conf_dir=/etc/nginx/conf.d
case "${NGINX_TLS:-off}" in
  on) rm -f "$conf_dir/balcao-http.conf" ;;
  off) rm -f "$conf_dir/balcao-https.conf" ;;
  *)
    echo "NGINX_TLS must be 'on' or 'off', not '${NGINX_TLS}'" >&2
    exit 1
    ;;
esac
