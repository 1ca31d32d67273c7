package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code createIndex}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "createIndex", description = "Create index", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class CreateIndexChange extends AbstractCollectionOptionsChange {
    private String keys;

    public String getKeys() {
        return keys;
    }

    public void setKeys(String keys) {
        this.keys = keys;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "keys", keys, "options", getOptions());
    }

    @Override
    public String getConfirmationMessage() {
        return "Index created for collection " + getCollectionName();
    }
}
