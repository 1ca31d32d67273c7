package liquibase.ext.lbmongo;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code updateOne}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "updateOne", description = "Updates one document (lbmongo)", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class UpdateOneChange extends AbstractUpdateChange {
    @Override
    public String getConfirmationMessage() {
        return "Document updated in collection " + getCollectionName();
    }
}
