package liquibase.ext.lbmongo;

import java.sql.Connection;
import java.sql.DriverPropertyInfo;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Locale;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The {@link java.sql.Driver} Liquibase instantiates for {@code mongodb} URLs before it hands the
 * URL to {@link LbmongoConnection#open}. There is no JDBC here: {@link #connect} refuses, as
 * liquibase-mongodb's {@code MongoClientDriver} does.
 */
public class LbmongoDriver implements java.sql.Driver {
    @Override
    public Connection connect(String url, Properties info) {
        throw new UnsupportedOperationException("Cannot initiate a SQL Connection for a NoSql DB");
    }

    @Override
    public boolean acceptsURL(String url) {
        if (url == null) {
            return false;
        }
        String u = url.trim().toLowerCase(Locale.ROOT);
        return u.startsWith("mongodb://") || u.startsWith("mongodb+srv://");
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 0;
    }

    @Override
    public int getMinorVersion() {
        return 1;
    }

    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }
}
