package liquibase.ext.lbmongo;

import java.sql.Driver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import liquibase.Scope;
import liquibase.database.Database;
import liquibase.database.DatabaseConnection;
import liquibase.exception.DatabaseException;

/**
 * A {@code mongodb://} or {@code mongodb+srv://} connection, opened by the Rust engine.
 *
 * <p>Claims every URL whose lowercase form starts with {@code mongodb} (as liquibase-mongodb's
 * {@code MongoConnection}), at a priority above JDBC's and the official extension's 501, so the
 * choice is never a tie (core keeps one connection per priority). What it reports mirrors
 * {@code MongoConnection}: {@code getURL()} is the host list, {@code getCatalog()} the URL's
 * database, {@code getDatabaseProductVersion()} the server's {@code buildInfo.version}.
 */
public class LbmongoConnection implements DatabaseConnection {
    /** Above JdbcConnection (1) and liquibase-mongodb's MongoConnection (501). */
    public static final int PRIORITY = 502;

    private Long handle;
    private String database;
    private String hosts = "";
    private String user;
    private String version = "Unknown";
    private String visibleUrl;

    @Override
    public int getPriority() {
        return PRIORITY;
    }

    @Override
    public boolean supports(String url) {
        return url != null && url.trim().toLowerCase(Locale.ROOT).startsWith("mongodb");
    }

    @Override
    public void open(String url, Driver driverObject, Properties driverProperties) throws DatabaseException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("url", url);
        if (driverProperties != null) {
            request.put("username", driverProperties.getProperty("user"));
            request.put("password", driverProperties.getProperty("password"));
            String retryWrites = driverProperties.getProperty("retryWrites");
            if (retryWrites != null) {
                request.put("retryWrites", Boolean.valueOf(retryWrites));
            }
        }
        if (!request.containsKey("retryWrites")) {
            request.put("retryWrites", LbmongoDatabase.retryWrites());
        }
        request.put("appName", "Liquibase_OSS_" + LbmongoDatabase.liquibaseVersion() + "_lbmongo");
        Map<String, Object> report;
        try {
            report = Native.call("connect", request);
        } catch (NativeException e) {
            throw new DatabaseException("Could not open connection to database: " + e.getMessage(), e);
        }
        handle = ((Number) report.get("handle")).longValue();
        database = (String) report.get("database");
        hosts = (String) report.get("hosts");
        user = (String) report.get("user");
        version = (String) report.get("version");
        visibleUrl = (String) report.get("displayUrl");
        // What the engine changed in reading the request (a Maven `null` username), for the log.
        Object notes = report.get("notes");
        if (notes instanceof List) {
            for (Object note : (List<?>) notes) {
                Scope.getCurrentScope().getLog(getClass()).info(String.valueOf(note));
            }
        }
    }

    /** The native connection id every request names. */
    long handle() throws DatabaseException {
        if (handle == null) {
            throw new DatabaseException("The MongoDB connection is not open");
        }
        return handle;
    }

    @Override
    public void close() throws DatabaseException {
        if (handle != null) {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("handle", handle);
            handle = null;
            try {
                Native.call("close", request);
            } catch (NativeException e) {
                throw new DatabaseException(e.getMessage(), e);
            }
        }
    }

    @Override
    public boolean isClosed() {
        return handle == null;
    }

    @Override
    public void commit() {
        // MongoDB commands are not transactional here; nothing to commit (as liquibase-mongodb).
    }

    @Override
    public void rollback() {
        // Nothing to roll back (as liquibase-mongodb).
    }

    @Override
    public boolean getAutoCommit() {
        return false;
    }

    @Override
    public void setAutoCommit(boolean autoCommit) {
        // Not applicable.
    }

    @Override
    public String getCatalog() {
        return database;
    }

    @Override
    public String nativeSQL(String sql) {
        return sql;
    }

    @Override
    public String getDatabaseProductName() {
        return LbmongoDatabase.PRODUCT_NAME;
    }

    @Override
    public String getDatabaseProductVersion() {
        return version;
    }

    @Override
    public int getDatabaseMajorVersion() {
        return versionPart(0);
    }

    @Override
    public int getDatabaseMinorVersion() {
        return versionPart(1);
    }

    private int versionPart(int i) {
        String[] parts = version.split("\\.");
        try {
            return parts.length > i ? Integer.parseInt(parts[i]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public String getURL() {
        return hosts;
    }

    /** The full URL, password masked (core 4.29+ asks for it; older cores never call it). */
    public String getVisibleUrl() {
        return visibleUrl;
    }

    @Override
    public String getConnectionUserName() {
        return user == null ? "" : user;
    }

    @Override
    public void attached(Database database) {
        // Nothing to do: the database reads everything it needs from this connection.
    }
}
