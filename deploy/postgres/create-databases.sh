#!/bin/sh
# First start of the PostgreSQL container: one database per service besides the default one.
set -eu
for database in notifications reporting; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
       -c "CREATE DATABASE $database OWNER \"$POSTGRES_USER\""
done
