package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code insertOne}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "insertOne", description = "Inserts a document into a collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class InsertOneChange extends AbstractLbmongoChange {
    private String collectionName;
    private String document;
    private String options;

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    public String getDocument() {
        return document;
    }

    public void setDocument(String document) {
        this.document = document;
    }

    public String getOptions() {
        return options;
    }

    public void setOptions(String options) {
        this.options = options;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "document", document, "options", options);
    }

    @Override
    public String getConfirmationMessage() {
        return "Document inserted into collection " + getCollectionName();
    }
}
