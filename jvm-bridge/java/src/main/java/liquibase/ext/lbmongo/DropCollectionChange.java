package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code dropCollection}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "dropCollection", description = "Drop collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class DropCollectionChange extends AbstractCollectionChange {
    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName());
    }

    @Override
    public String getConfirmationMessage() {
        return "Collection " + getCollectionName() + " dropped";
    }
}
