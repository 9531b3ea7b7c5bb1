#!/usr/bin/env bash
# Cost of one read of the polling bus (--bus poll): SELECT ns, value FROM a datafn_seq-shaped table of 1 000 and
# 10 000 namespaces, then rollback, 300 times each over JDBC, on MariaDB (BENCH_DB, created and dropped) and SQLite.
set -euo pipefail
DB=${BENCH_DB:-bench_buspoll}
M2=${M2:-$HOME/.m2/repository}
MARIADB_JAR=$(find "$M2/org/mariadb/jdbc" -name 'mariadb-java-client-*.jar' | sort | tail -1)
SQLITE_JAR=$(find "$M2/org/xerial/sqlite-jdbc" -name 'sqlite-jdbc-*.jar' | sort | tail -1)
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $DB"' EXIT
mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4; USE $DB;
  CREATE TABLE s10000 (ns VARCHAR(255) COLLATE utf8mb4_nopad_bin NOT NULL PRIMARY KEY, value BIGINT);
  INSERT INTO s10000 SELECT CONCAT('tenant-', seq), seq FROM seq_1_to_10000;
  CREATE TABLE s1000 LIKE s10000; INSERT INTO s1000 SELECT * FROM s10000 LIMIT 1000;"
sqlite3 "$TMP/c.db" "PRAGMA journal_mode=WAL; CREATE TABLE s10000(ns TEXT PRIMARY KEY, value INTEGER);
  WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i<10000) INSERT INTO s10000 SELECT 'tenant-'||i, i FROM r;
  CREATE TABLE s1000(ns TEXT PRIMARY KEY, value INTEGER); INSERT INTO s1000 SELECT * FROM s10000 LIMIT 1000;" >/dev/null
echo "## MariaDB"
java -cp "$MARIADB_JAR" "$HERE/BusPoll.java" "jdbc:mariadb://127.0.0.1:3306/$DB?user=root" s1000,s10000,s1000,s10000
echo "## SQLite"
java -cp "$SQLITE_JAR" "$HERE/BusPoll.java" "jdbc:sqlite:$TMP/c.db" s1000,s10000,s1000,s10000
