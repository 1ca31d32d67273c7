package liquibase.ext.lbmongo;

import java.util.LinkedHashMap;
import java.util.Map;

import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.ChangeExecListener;
import liquibase.database.Database;
import liquibase.exception.DatabaseException;
import liquibase.exception.PreconditionErrorException;
import liquibase.exception.PreconditionFailedException;
import liquibase.exception.ValidationErrors;
import liquibase.exception.Warnings;
import liquibase.precondition.AbstractPrecondition;

/**
 * A MongoDB precondition: the Rust engine reads its properties and checks it, with
 * liquibase-mongodb's failure messages ({@code Collection x does not exist}, …).
 */
public abstract class AbstractLbmongoPrecondition extends AbstractPrecondition {
    /** The property texts, name to value ({@code null} when unset). */
    protected abstract Map<String, String> texts();

    @Override
    public String getSerializedObjectNamespace() {
        return AbstractLbmongoChange.NAMESPACE;
    }

    @Override
    public Warnings warn(Database database) {
        return new Warnings();
    }

    @Override
    public ValidationErrors validate(Database database) {
        return new ValidationErrors();
    }

    @Override
    public void check(Database database, DatabaseChangeLog changeLog, ChangeSet changeSet,
            ChangeExecListener changeExecListener) throws PreconditionFailedException, PreconditionErrorException {
        if (!(database instanceof LbmongoDatabase)) {
            throw new PreconditionFailedException(getName() + " needs a MongoDB database", changeLog, this);
        }
        Map<String, Object> report;
        try {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("handle", ((LbmongoDatabase) database).connection().handle());
            request.put("precondition", AbstractLbmongoChange.specOf(getName(), texts()));
            report = Native.call("precondition", request);
        } catch (NativeException | DatabaseException e) {
            throw new PreconditionErrorException(e, changeLog, this);
        }
        if (Boolean.TRUE.equals(report.get("passed"))) {
            return;
        }
        if (report.get("failure") != null) {
            throw new PreconditionFailedException((String) report.get("failure"), changeLog, this);
        }
        throw new PreconditionErrorException(new DatabaseException(String.valueOf(report.get("error"))), changeLog,
                this);
    }

    /** Ordered property map helper for subclasses. */
    protected static Map<String, String> texts(String... namesAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            m.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }
}
