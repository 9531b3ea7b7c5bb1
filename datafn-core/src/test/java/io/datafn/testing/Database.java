package io.datafn.testing;

/**
 * The databases the suites run on; each {@link #freshUrl()} is a new, empty database (PostgreSQL and MariaDB skip
 * when down, and are mandatory when {@code CI=true}, as {@link TestServices}).
 */
public enum Database {
    SQLITE, POSTGRES, MARIADB;

    public String freshUrl() {
        return switch (this) {
            case SQLITE -> TestServices.freshSqliteUrl();
            case POSTGRES -> TestServices.freshPostgresUrl();
            case MARIADB -> TestServices.freshMariadbUrl();
        };
    }
}
