package liquibase.ext.lbmongo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import liquibase.database.Database;
import liquibase.exception.ValidationErrors;
import liquibase.sql.Sql;
import liquibase.sql.UnparsedSql;
import liquibase.sqlgenerator.SqlGeneratorChain;
import liquibase.sqlgenerator.core.AbstractSqlGenerator;

/**
 * Tells core that {@link LbmongoStatement}s are supported on MongoDB (core's change validation
 * requires a generator), and renders them for {@code *-sql} output as the mongosh lines
 * {@code lbmongo update-sql} prints ({@code db.runCommand(…);}).
 */
public class LbmongoSqlGenerator extends AbstractSqlGenerator<LbmongoStatement> {
    @Override
    public int getPriority() {
        return PRIORITY_DATABASE;
    }

    @Override
    public boolean supports(LbmongoStatement statement, Database database) {
        return database instanceof LbmongoDatabase;
    }

    @Override
    public ValidationErrors validate(LbmongoStatement statement, Database database,
            SqlGeneratorChain<LbmongoStatement> chain) {
        return new ValidationErrors();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Sql[] generateSql(LbmongoStatement statement, Database database, SqlGeneratorChain<LbmongoStatement> chain) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "preview");
        request.put("change", statement.change());
        List<Sql> sql = new ArrayList<>();
        if (statement.lines() != null) {
            for (String line : statement.lines()) {
                sql.add(new UnparsedSql(line));
            }
        } else {
            request.put("rollback", statement.rollback());
            request.put("changeSet", statement.changeSetId());
            request.put("database", ((LbmongoDatabase) database).getDefaultCatalogName());
            request.put("mongosh", LbmongoDatabase.mongoshSettings());
            for (Object line : (List<Object>) Native.call("change", request).get("lines")) {
                sql.add(new UnparsedSql((String) line));
            }
        }
        return sql.toArray(new Sql[0]);
    }
}
