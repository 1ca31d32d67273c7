package liquibase.ext.lbmongo;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import liquibase.database.Database;
import liquibase.exception.DatabaseException;
import liquibase.executor.AbstractExecutor;
import liquibase.sql.visitor.SqlVisitor;
import liquibase.statement.SqlStatement;
import liquibase.statement.core.UpdateChangeSetChecksumStatement;

/**
 * The executor core asks for under the name {@code jdbc} (it always does) when the database is
 * {@link LbmongoDatabase}: it hands each {@link LbmongoStatement} to the Rust engine.
 *
 * <p>As liquibase-mongodb's {@code NoSqlExecutor}: an {@code UpdateChangeSetChecksumStatement}
 * (core's checksum refill) goes to the history service, and any other statement, i.e. a core SQL
 * change, is refused with a message naming its type.
 */
public class LbmongoExecutor extends AbstractExecutor {
    @Override
    public String getName() {
        return "jdbc";
    }

    @Override
    public int getPriority() {
        return PRIORITY_SPECIALIZED;
    }

    @Override
    public boolean supports(Database database) {
        return database instanceof LbmongoDatabase;
    }

    @Override
    public void execute(SqlStatement sql) throws DatabaseException {
        execute(sql, Collections.<SqlVisitor>emptyList());
    }

    @Override
    public void execute(SqlStatement sql, List<SqlVisitor> sqlVisitors) throws DatabaseException {
        if (sql instanceof LbmongoStatement && ((LbmongoStatement) sql).lines() != null) {
            // Preview lines only mean something to the logging executor of *-sql commands.
            return;
        } else if (sql instanceof LbmongoStatement) {
            LbmongoStatement statement = (LbmongoStatement) sql;
            try {
                Native.call("execute", statement.request(db().connection().handle(), getName(),
                        LbmongoDatabase.mongoshSettings()));
            } catch (NativeException e) {
                throw new DatabaseException(e.getMessage(), e);
            }
        } else if (sql instanceof UpdateChangeSetChecksumStatement) {
            LbmongoHistoryService.replace(db(), ((UpdateChangeSetChecksumStatement) sql).getChangeSet());
        } else {
            throw new DatabaseException("lbmongo cannot execute changeset \nUnknown type: " + sql.getClass().getName()
                    + "\nOnly MongoDB changes (createCollection, insertOne, runCommand, …) run on MongoDB; "
                    + "SQL changes such as sql or createTable do not.");
        }
    }

    @Override
    public int update(SqlStatement sql) throws DatabaseException {
        execute(sql);
        return 0;
    }

    @Override
    public int update(SqlStatement sql, List<SqlVisitor> sqlVisitors) throws DatabaseException {
        execute(sql, sqlVisitors);
        return 0;
    }

    @Override
    public <T> T queryForObject(SqlStatement sql, Class<T> requiredType) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public <T> T queryForObject(SqlStatement sql, Class<T> requiredType, List<SqlVisitor> sqlVisitors)
            throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public long queryForLong(SqlStatement sql) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public long queryForLong(SqlStatement sql, List<SqlVisitor> sqlVisitors) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public int queryForInt(SqlStatement sql) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public int queryForInt(SqlStatement sql, List<SqlVisitor> sqlVisitors) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List queryForList(SqlStatement sql, Class elementType) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List queryForList(SqlStatement sql, Class elementType, List<SqlVisitor> sqlVisitors)
            throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public List<Map<String, ?>> queryForList(SqlStatement sql) throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public List<Map<String, ?>> queryForList(SqlStatement sql, List<SqlVisitor> sqlVisitors)
            throws DatabaseException {
        throw unsupported(sql);
    }

    @Override
    public void comment(String message) {
        // Comments only matter to *-sql output.
    }

    @Override
    public boolean updatesDatabase() {
        return true;
    }

    private LbmongoDatabase db() throws DatabaseException {
        if (!(database instanceof LbmongoDatabase)) {
            throw new DatabaseException("lbmongo's executor runs on MongoDB databases only");
        }
        return (LbmongoDatabase) database;
    }

    private static DatabaseException unsupported(SqlStatement sql) {
        return new DatabaseException("lbmongo cannot query MongoDB with " + sql.getClass().getName());
    }
}
