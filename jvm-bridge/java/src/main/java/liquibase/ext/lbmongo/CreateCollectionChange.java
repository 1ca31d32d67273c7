package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code createCollection}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "createCollection", description = "Create collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class CreateCollectionChange extends AbstractCollectionOptionsChange {
    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "options", getOptions());
    }

    @Override
    public String getConfirmationMessage() {
        return "Collection " + getCollectionName() + " created";
    }
}
