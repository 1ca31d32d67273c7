package liquibase.ext.lbmongo;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code deleteMany}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "deleteMany", description = "Deletes documents (lbmongo)", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class DeleteManyChange extends AbstractFilterChange {
    @Override
    public String getConfirmationMessage() {
        return "Documents deleted from collection " + getCollectionName();
    }
}
