#!/usr/bin/env bash
# Operates the production stack (docker-compose.prod.yml) on the server; see docs/operations.md.
# Settings come from the environment first, then from .env next to this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

readonly COMPOSE_FILE_PATH="$here/docker-compose.prod.yml"
readonly WORKER_SERVICES=(worker-messaging worker-default worker-imports)
readonly APP_SERVICES=(web "${WORKER_SERVICES[@]}" beat)
readonly ALL_SERVICES=("${APP_SERVICES[@]}" postgres redis nginx)
readonly BACKUP_PREFIX=balcao_
backup_partial=""
selected=()

usage() {
  cat <<EOF
Usage: ./deploy.sh <command> [arguments]

  up                            build the image, migrate, start or update every service
  status                        list the services and their health
  logs [service]                follow the logs of one service (default: web; "worker" = all workers)
  restart [service]             restart one service (default: web, workers and beat)
  shell                         Django shell in the web container
  migrate                       apply database migrations and the reviewed beat schedule
  backup                        pg_dump to BACKUP_DIR/${BACKUP_PREFIX}<date>_<time>.dump, delete
                                backups older than BACKUP_KEEP_DAYS days
  restore <file> [--yes]        replace the database with a backup (a fresh backup is taken first)
  import <empresa> <start> <end>
                                import a company's WooCommerce carts and orders, dates YYYY-MM-DD

Services: ${ALL_SERVICES[*]}
EOF
}

# A wrong invocation: say what is wrong, show the usage, exit 2.
usage_error() {
  echo "deploy.sh: $1" >&2
  usage >&2
  exit 2
}

die() {
  echo "deploy.sh: $1" >&2
  exit 1
}

compose() {
  docker compose -f "$COMPOSE_FILE_PATH" "$@"
}

# `docker compose exec` needs -T when there is no terminal (cron, pipes, CI).
compose_exec() {
  if [[ -t 0 && -t 1 ]]; then
    compose exec "$@"
  else
    compose exec -T "$@"
  fi
}

# setting NAME DEFAULT: the environment wins, then the last NAME= line of .env, then DEFAULT.
setting() {
  local name=$1 default=$2 value=""
  if [[ -n "${!name:-}" ]]; then
    printf '%s\n' "${!name}"
    return
  fi
  if [[ -f "$here/.env" ]]; then
    value="$(sed -n "s/^${name}=//p" "$here/.env" | tail -n 1)"
    value="${value%\"}"
    value="${value#\"}"
  fi
  printf '%s\n' "${value:-$default}"
}

backup_dir() {
  setting BACKUP_DIR ./var/backups
}

# Sets `selected` to the services named by a `logs`/`restart` argument; "worker" means every worker.
select_services() {
  local name=$1 known
  if [[ "$name" == worker ]]; then
    selected=("${WORKER_SERVICES[@]}")
    return
  fi
  for known in "${ALL_SERVICES[@]}"; do
    if [[ "$name" == "$known" ]]; then
      selected=("$name")
      return
    fi
  done
  usage_error "unknown service '$name'"
}

is_date() {
  [[ "$1" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && [[ "$(date -d "$1" +%Y-%m-%d 2>/dev/null)" == "$1" ]]
}

expect_args() {
  local command=$1 min=$2 max=$3 given=$4
  if ((given < min || given > max)); then
    usage_error "'$command' takes $( ((min == max)) && echo "$min" || echo "$min to $max") argument(s), got $given"
  fi
}

cmd_up() {
  mkdir -p "$(backup_dir)" "$(setting CERTBOT_DIR ./var/certbot)/conf" "$(setting CERTBOT_DIR ./var/certbot)/www"
  compose build
  compose up -d --wait postgres redis
  # Migrations run before the new code serves a request.
  compose run --rm web python manage.py migrate --noinput
  compose run --rm web python manage.py sync_beat_schedule
  compose up -d --remove-orphans
}

cmd_migrate() {
  compose_exec web python manage.py migrate --noinput
  compose_exec web python manage.py sync_beat_schedule
}

remove_partial_backup() {
  if [[ -n "$backup_partial" ]]; then
    rm -f -- "$backup_partial"
  fi
}

cmd_backup() {
  local dir keep target
  dir="$(backup_dir)"
  keep="$(setting BACKUP_KEEP_DAYS 14)"
  [[ "$keep" =~ ^[0-9]+$ ]] || die "BACKUP_KEEP_DAYS must be a whole number of days, not '$keep'"
  mkdir -p "$dir"
  target="$dir/${BACKUP_PREFIX}$(date +%Y-%m-%d_%H%M%S).dump"
  # Only a complete dump gets the final name; an interrupted one is removed.
  backup_partial="$target.partial"
  trap remove_partial_backup EXIT
  # shellcheck disable=SC2016 # expanded by the shell inside the postgres container
  compose exec -T postgres sh -c 'pg_dump --format=custom --no-owner -U "$POSTGRES_USER" "$POSTGRES_DB"' >"$backup_partial"
  [[ -s "$backup_partial" ]] || die "pg_dump wrote nothing; no backup made"
  mv -- "$backup_partial" "$target"
  backup_partial=""
  echo "Backup written: $target"
  prune_backups "$dir" "$keep"
}

# Deletes dated backups older than KEEP days (by the date in the file name, not its mtime,
# so copying backups around does not change what is kept).
prune_backups() {
  local dir=$1 keep=$2 cutoff file name day
  cutoff="$(date -d "-${keep} days" +%Y-%m-%d)"
  for file in "$dir/${BACKUP_PREFIX}"*.dump; do
    [[ -f "$file" ]] || continue
    name="${file##*/}"
    day="${name#"$BACKUP_PREFIX"}"
    day="${day:0:10}"
    is_date "$day" || continue
    if [[ "$day" < "$cutoff" ]]; then
      rm -f -- "$file"
      echo "Deleted backup older than $keep days: $name"
    fi
  done
}

cmd_restore() {
  local file=$1 confirmed=$2 answer=""
  [[ -f "$file" ]] || usage_error "no such backup file: $file"
  if [[ "$confirmed" != yes ]]; then
    echo "This replaces the whole database with $file (a backup of the current one is taken first)."
    read -r -p "Type 'restore' to continue: " answer || true
    [[ "$answer" == restore ]] || die "restore cancelled; nothing changed"
  fi
  compose up -d --wait postgres
  cmd_backup
  compose stop "${APP_SERVICES[@]}"
  # shellcheck disable=SC2016 # expanded by the shell inside the postgres container
  compose exec -T postgres sh -c \
    'dropdb --force --if-exists -U "$POSTGRES_USER" "$POSTGRES_DB" && createdb -U "$POSTGRES_USER" "$POSTGRES_DB"'
  # shellcheck disable=SC2016 # expanded by the shell inside the postgres container
  compose exec -T postgres sh -c \
    'pg_restore --no-owner --exit-on-error -U "$POSTGRES_USER" -d "$POSTGRES_DB"' <"$file"
  # A backup from an older release: bring its schema up to this code.
  compose run --rm web python manage.py migrate --noinput
  compose up -d "${APP_SERVICES[@]}"
  echo "Restored $file"
}

cmd_import() {
  local company=$1 start=$2 end=$3
  [[ "$company" =~ ^[A-Za-z0-9_-]+$ ]] || usage_error "<empresa> must be a company slug, got '$company'"
  is_date "$start" || usage_error "<start> must be a date as YYYY-MM-DD, got '$start'"
  is_date "$end" || usage_error "<end> must be a date as YYYY-MM-DD, got '$end'"
  [[ ! "$end" < "$start" ]] || usage_error "<end> ($end) is before <start> ($start)"
  compose_exec web python manage.py import_customers \
    "--empresa=$company" "--start_date=$start" "--end_date=$end" --import_type=all
}

main() {
  if (($# == 0)); then
    usage_error "missing command"
  fi
  local command=$1
  shift
  case "$command" in
    up)
      expect_args up 0 0 $#
      cmd_up
      ;;
    status)
      expect_args status 0 0 $#
      compose ps
      ;;
    logs)
      expect_args logs 0 1 $#
      select_services "${1:-web}"
      compose logs --follow --tail=200 "${selected[@]}"
      ;;
    restart)
      expect_args restart 0 1 $#
      selected=("${APP_SERVICES[@]}")
      if (($# == 1)); then
        select_services "$1"
      fi
      compose restart "${selected[@]}"
      ;;
    shell)
      expect_args shell 0 0 $#
      compose_exec web python manage.py shell
      ;;
    migrate)
      expect_args migrate 0 0 $#
      cmd_migrate
      ;;
    backup)
      expect_args backup 0 0 $#
      cmd_backup
      ;;
    restore)
      expect_args restore 1 2 $#
      if (($# == 2)) && [[ "$2" != --yes ]]; then
        usage_error "unknown restore option '$2'"
      fi
      cmd_restore "$1" "$([[ "${2:-}" == --yes ]] && echo yes || echo no)"
      ;;
    import)
      expect_args import 3 3 $#
      cmd_import "$1" "$2" "$3"
      ;;
    help | -h | --help)
      usage
      ;;
    *)
      usage_error "unknown command '$command'"
      ;;
  esac
}

main "$@"
