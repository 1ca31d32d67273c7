package liquibase.ext.lbmongo;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code deleteOne}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "deleteOne", description = "Deletes one document (lbmongo)", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class DeleteOneChange extends AbstractFilterChange {
    @Override
    public String getConfirmationMessage() {
        return "Document deleted from collection " + getCollectionName();
    }
}
