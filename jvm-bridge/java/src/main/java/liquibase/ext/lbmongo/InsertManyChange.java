package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code insertMany}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "insertMany", description = "Inserts documents into a collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class InsertManyChange extends AbstractCollectionOptionsChange {
    private String documents;

    public String getDocuments() {
        return documents;
    }

    public void setDocuments(String documents) {
        this.documents = documents;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "documents", documents, "options", getOptions());
    }

    @Override
    public String getConfirmationMessage() {
        return "Documents inserted into collection " + getCollectionName();
    }
}
