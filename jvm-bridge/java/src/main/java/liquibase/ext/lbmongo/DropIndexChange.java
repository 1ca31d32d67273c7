package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code dropIndex}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "dropIndex", description = "Drop index", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class DropIndexChange extends AbstractCollectionChange {
    private String keys;

    public String getKeys() {
        return keys;
    }

    public void setKeys(String keys) {
        this.keys = keys;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "keys", keys);
    }

    @Override
    public String getConfirmationMessage() {
        return "Index dropped for collection " + getCollectionName();
    }
}
