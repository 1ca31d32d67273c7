package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code insertMany}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "insertMany", description = "Inserts documents into a collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class InsertManyChange extends AbstractLbmongoChange {
    private String collectionName;
    private String documents;
    private String options;

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    public String getDocuments() {
        return documents;
    }

    public void setDocuments(String documents) {
        this.documents = documents;
    }

    public String getOptions() {
        return options;
    }

    public void setOptions(String options) {
        this.options = options;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "documents", documents, "options", options);
    }

    @Override
    public String getConfirmationMessage() {
        return "Documents inserted into collection " + getCollectionName();
    }
}
