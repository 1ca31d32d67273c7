package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.database.Database;
import liquibase.statement.SqlStatement;

/** {@code createCollection}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "createCollection", description = "Create collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class CreateCollectionChange extends AbstractLbmongoChange {
    private String collectionName;
    private String options;

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    public String getOptions() {
        return options;
    }

    public void setOptions(String options) {
        this.options = options;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "options", options);
    }

    @Override
    public String getConfirmationMessage() {
        return "Collection " + getCollectionName() + " created";
    }

    /** The engine's automatic inverse (as liquibase-mongodb, liquibase-mongodb#38). */
    @Override
    public boolean supportsRollback(Database database) {
        return true;
    }

    @Override
    public SqlStatement[] generateRollbackStatements(Database database) {
        return new SqlStatement[] {new LbmongoStatement(spec(), true, changeSetId())};
    }
}
