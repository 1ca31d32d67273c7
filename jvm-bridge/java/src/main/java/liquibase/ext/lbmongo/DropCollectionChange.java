package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code dropCollection}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "dropCollection", description = "Drop collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class DropCollectionChange extends AbstractLbmongoChange {
    private String collectionName;

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName);
    }

    @Override
    public String getConfirmationMessage() {
        return "Collection " + getCollectionName() + " dropped";
    }
}
