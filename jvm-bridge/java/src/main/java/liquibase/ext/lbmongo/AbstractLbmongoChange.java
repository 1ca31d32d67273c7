package liquibase.ext.lbmongo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import liquibase.Scope;
import liquibase.change.AbstractChange;
import liquibase.change.CheckSum;
import liquibase.database.Database;
import liquibase.exception.RollbackImpossibleException;
import liquibase.exception.UnexpectedLiquibaseException;
import liquibase.exception.ValidationErrors;
import liquibase.statement.SqlStatement;

/**
 * What every MongoDB change shares: its property texts go to the Rust engine, which checks them,
 * computes the checksum (the one implementation in lbmongo, identical to liquibase-mongodb's) and
 * runs the change. Subclasses only declare liquibase-mongodb's bean properties, in the order its
 * classes pass them to their checksum.
 */
public abstract class AbstractLbmongoChange extends AbstractChange {
    /** The XML namespace of liquibase-mongodb's changes. */
    public static final String NAMESPACE = "http://www.liquibase.org/xml/ns/mongodb";

    /** The property texts, name to value ({@code null} for an unset property), in checksum order. */
    protected abstract Map<String, String> texts();

    /** The change as the native protocol carries it. */
    Map<String, Object> spec() {
        Map<String, Object> change = specOf(getSerializedObjectName(), texts());
        addToSpec(change);
        return change;
    }

    /**
     * {@code {"name", "properties": [{"name", "value"}, …]}}, unset properties left out: how the
     * native protocol carries a change or a precondition.
     */
    static Map<String, Object> specOf(String name, Map<String, String> texts) {
        List<Object> properties = new ArrayList<>();
        for (Map.Entry<String, String> e : texts.entrySet()) {
            if (e.getValue() != null) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("name", e.getKey());
                p.put("value", e.getValue());
                properties.add(p);
            }
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        spec.put("properties", properties);
        return spec;
    }

    /** Adds what the engine needs besides the property texts (a script file's text). */
    protected void addToSpec(Map<String, Object> change) {
    }

    /** {@code {"fileName", "id", "author"}} of the changeset holding this change, or {@code null}. */
    Map<String, Object> changeSetId() {
        if (getChangeSet() == null) {
            return null;
        }
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("fileName", getChangeSet().getFilePath());
        id.put("id", getChangeSet().getId());
        id.put("author", getChangeSet().getAuthor());
        return id;
    }

    /** Ordered property map helper for subclasses. */
    protected static Map<String, String> texts(String... namesAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            m.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    @Override
    public boolean supports(Database database) {
        return database instanceof LbmongoDatabase;
    }

    @Override
    public boolean generateStatementsVolatile(Database database) {
        return false;
    }

    @Override
    public boolean generateRollbackStatementsVolatile(Database database) {
        return false;
    }

    @Override
    public String getSerializedObjectNamespace() {
        return NAMESPACE;
    }

    @Override
    public SqlStatement[] generateStatements(Database database) {
        return new SqlStatement[] {new LbmongoStatement(spec(), false, changeSetId())};
    }

    /**
     * Whether the engine derives this change's rollback (its automatic inverse); else it needs a
     * rollback block. The engine decides (one rule for lbmongo and the jar); a change it cannot
     * read has none.
     */
    protected boolean hasAutomaticRollback() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "automaticRollback");
        request.put("change", spec());
        try {
            return Boolean.TRUE.equals(Native.call("change", request).get("automaticRollback"));
        } catch (NativeException e) {
            return false;
        }
    }

    @Override
    public boolean supportsRollback(Database database) {
        return hasAutomaticRollback() || super.supportsRollback(database);
    }

    @Override
    public SqlStatement[] generateRollbackStatements(Database database) throws RollbackImpossibleException {
        if (hasAutomaticRollback()) {
            return new SqlStatement[] {new LbmongoStatement(spec(), true, changeSetId())};
        }
        return super.generateRollbackStatements(database);
    }

    /** The engine's checksum in the checksum version of Liquibase's current scope. */
    @Override
    public CheckSum generateCheckSum() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "checksum");
        request.put("change", spec());
        request.put("version", Scope.getCurrentScope().getChecksumVersion().getVersion());
        try {
            return CheckSum.parse((String) Native.call("change", request).get("checksum"));
        } catch (NativeException e) {
            throw new UnexpectedLiquibaseException(getSerializedObjectName() + ": " + e.getMessage(), e);
        }
    }

    /** Liquibase's validation plus the engine's: required properties and JSON syntax. */
    @Override
    public ValidationErrors validate(Database database) {
        ValidationErrors errors = super.validate(database);
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "validate");
        request.put("change", spec());
        try {
            Native.call("change", request);
        } catch (NativeException e) {
            errors.addError(e.getMessage());
        }
        return errors;
    }

    /** The commands this change sends, as {@code update-sql} shows them. */
    @SuppressWarnings("unchecked")
    List<String> preview(boolean rollback) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "preview");
        request.put("change", spec());
        return (List<String>) Native.call("change", request).get("lines");
    }
}
