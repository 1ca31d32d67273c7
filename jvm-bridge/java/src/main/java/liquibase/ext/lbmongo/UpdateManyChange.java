package liquibase.ext.lbmongo;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code updateMany}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "updateMany", description = "Updates documents (lbmongo)", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class UpdateManyChange extends AbstractUpdateChange {
    @Override
    public String getConfirmationMessage() {
        return "Documents updated in collection " + getCollectionName();
    }
}
