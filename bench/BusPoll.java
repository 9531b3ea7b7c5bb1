import java.sql.*;
/** The read of the polling bus (--bus poll): SELECT ns, value FROM datafn_seq + rollback, timed per table size. */
public class BusPoll {
    public static void main(String[] a) throws Exception {
        try (Connection c = DriverManager.getConnection(a[0])) {
            c.setAutoCommit(false);
            if (a[0].contains("mariadb")) c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            for (String t : a[1].split(",")) {
                long best = Long.MAX_VALUE; long total = 0; int rounds = 300;
                for (int i = 0; i < rounds; i++) {
                    long s = System.nanoTime();
                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT ns, value FROM " + t)) {
                        while (rs.next()) { rs.getString(1); rs.getLong(2); }
                    }
                    c.rollback();
                    long d = System.nanoTime() - s; total += d; best = Math.min(best, d);
                }
                System.out.printf("%s: avg %.2f ms, best %.2f ms per read%n", t, total / 1e6 / rounds, best / 1e6);
            }
        }
    }
}
