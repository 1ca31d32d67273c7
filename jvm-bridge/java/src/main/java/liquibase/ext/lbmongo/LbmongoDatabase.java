package liquibase.ext.lbmongo;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

import liquibase.CatalogAndSchema;
import liquibase.Scope;
import liquibase.configuration.ConfiguredValue;
import liquibase.database.AbstractJdbcDatabase;
import liquibase.database.DatabaseConnection;
import liquibase.exception.DatabaseException;
import liquibase.exception.LiquibaseException;
import liquibase.executor.Executor;
import liquibase.executor.ExecutorService;
import liquibase.lockservice.LockService;
import liquibase.lockservice.LockServiceFactory;
import liquibase.structure.DatabaseObject;
import liquibase.util.LiquibaseUtil;

/**
 * MongoDB as Liquibase sees it: short name {@code mongodb} (for {@code dbms=}), product name
 * {@code MongoDB}, catalogs but no schemas, no transactions, no SQL.
 *
 * <p>It extends {@code AbstractJdbcDatabase} as liquibase-mongodb does, because core's commands
 * expect that base; the JDBC parts are never reached since {@link LbmongoConnection},
 * {@link LbmongoExecutor} and the lock and history services replace them.
 */
public class LbmongoDatabase extends AbstractJdbcDatabase {
    public static final String PRODUCT_NAME = "MongoDB";
    public static final String SHORT_NAME = "mongodb";

    @Override
    public int getPriority() {
        return PRIORITY_DATABASE;
    }

    @Override
    public boolean isCorrectDatabaseImplementation(DatabaseConnection conn) {
        return conn instanceof LbmongoConnection;
    }

    @Override
    public String getDefaultDriver(String url) {
        return url != null && new LbmongoDriver().acceptsURL(url) ? LbmongoDriver.class.getName() : null;
    }

    @Override
    public String getShortName() {
        return SHORT_NAME;
    }

    @Override
    protected String getDefaultDatabaseProductName() {
        return PRODUCT_NAME;
    }

    @Override
    public String getDatabaseProductName() {
        return PRODUCT_NAME;
    }

    @Override
    public Integer getDefaultPort() {
        return 27017;
    }

    @Override
    public String getSystemSchema() {
        return "admin";
    }

    @Override
    public boolean supportsInitiallyDeferrableColumns() {
        return false;
    }

    @Override
    public boolean supportsTablespaces() {
        return false;
    }

    @Override
    public boolean supportsSequences() {
        return false;
    }

    @Override
    public boolean supportsAutoIncrement() {
        return false;
    }

    @Override
    public boolean supportsSchemas() {
        return false;
    }

    @Override
    public boolean supportsCatalogs() {
        return true;
    }

    @Override
    public boolean supportsDDLInTransaction() {
        return false;
    }

    @Override
    public boolean getAutoCommitMode() {
        return false;
    }

    @Override
    public boolean requiresUsername() {
        return false;
    }

    @Override
    public boolean requiresPassword() {
        return false;
    }

    @Override
    public boolean isCaseSensitive() {
        return true;
    }

    @Override
    public boolean isSystemObject(DatabaseObject example) {
        return false;
    }

    @Override
    public String getAutoIncrementClause(BigInteger startWith, BigInteger incrementBy, String generationType,
            Boolean defaultOnNull) {
        return "";
    }

    @Override
    public String escapeObjectName(String catalogName, String schemaName, String objectName,
            Class<? extends DatabaseObject> objectType) {
        return objectName;
    }

    @Override
    public String escapeObjectName(String objectName, Class<? extends DatabaseObject> objectType) {
        return objectName;
    }

    @Override
    public String getViewDefinition(CatalogAndSchema schema, String name) {
        return null;
    }

    /** {@code drop-all}: every collection of the URL's database, tracking collections included. */
    @Override
    public void dropDatabaseObjects(CatalogAndSchema schemaToDrop) throws LiquibaseException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("handle", connection().handle());
        request.put("tracking", tracking());
        try {
            Native.call("dropAll", request);
        } catch (NativeException e) {
            throw new DatabaseException(e.getMessage(), e);
        }
        LockService lockService = LockServiceFactory.getInstance().getLockService(this);
        if (lockService instanceof LbmongoLockService) {
            ((LbmongoLockService) lockService).lockCollectionDropped();
        }
    }

    private Executor jdbcExecutor() {
        return Scope.getCurrentScope().getSingleton(ExecutorService.class).getExecutor("jdbc", this);
    }

    /**
     * Whether a {@code *-sql} command is running: core then swaps the {@code jdbc} executor for
     * its logging executor, and the lock and history services print instead of writing.
     */
    boolean previewing() {
        return !(jdbcExecutor() instanceof LbmongoExecutor);
    }

    /** Prints {@code update-sql} lines through core's logging executor. */
    void print(java.util.List<String> lines) throws DatabaseException {
        jdbcExecutor().execute(LbmongoStatement.lines(lines));
    }

    /** The open native connection. */
    LbmongoConnection connection() throws DatabaseException {
        DatabaseConnection c = getConnection();
        if (!(c instanceof LbmongoConnection)) {
            throw new DatabaseException("The MongoDB connection is not open");
        }
        return (LbmongoConnection) c;
    }

    /** The tracking collections and their switches, as the native requests carry them. */
    Map<String, Object> tracking() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("changelogCollection", getDatabaseChangeLogTableName());
        t.put("lockCollection", getDatabaseChangeLogLockTableName());
        t.put("adjust", LbmongoConfiguration.ADJUST_TRACKING_TABLES_ON_STARTUP.getCurrentValue());
        // Null when not configured: the engine then takes the detected platform's default (no
        // validators on FerretDB, Cosmos DB), as lbmongo does; a configured value always wins.
        ConfiguredValue<Boolean> validator = LbmongoConfiguration.SUPPORTS_VALIDATOR.getCurrentConfiguredValue();
        t.put("supportsValidator", validator.wasDefaultValueUsed() ? null : validator.getValue());
        return t;
    }

    /**
     * The {@code liquibase.mongodb.mongosh*} settings (Harness's keys, the names of lbmongo's
     * {@code --mongosh-*} flags) as texts, from Liquibase's configuration: system properties,
     * {@code LIQUIBASE_MONGODB_MONGOSH_*} environment variables and the defaults file. The engine
     * parses them.
     */
    static Map<String, Object> mongoshSettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", LbmongoConfiguration.MONGOSH_PATH.getCurrentValue());
        m.put("native", LbmongoConfiguration.MONGOSH_NATIVE.getCurrentValue());
        m.put("timeoutSeconds", LbmongoConfiguration.MONGOSH_TIMEOUT_SECONDS.getCurrentValue());
        m.put("extraArgs", LbmongoConfiguration.MONGOSH_EXTRA_ARGS.getCurrentValue());
        m.put("logFile", LbmongoConfiguration.MONGOSH_LOG_FILE.getCurrentValue());
        return m;
    }

    /**
     * {@code liquibase.mongodb.retryWrites} when it was set, else null: as liquibase-mongodb's
     * {@code MongoConnection} (4.33.0.1), only a configured value rewrites the URL's
     * {@code retryWrites}.
     */
    static Boolean retryWrites() {
        ConfiguredValue<Boolean> value = LbmongoConfiguration.RETRY_WRITES.getCurrentConfiguredValue();
        return value.wasDefaultValueUsed() ? null : value.getValue();
    }

    /** The running core's version, for the history {@code liquibase} field. */
    static String liquibaseVersion() {
        return LiquibaseUtil.getBuildVersion();
    }

    @Override
    public String toString() {
        return PRODUCT_NAME + " (" + getShortName() + ")";
    }
}
