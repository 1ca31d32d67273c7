package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code insertOne}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "insertOne", description = "Inserts a document into a collection", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class InsertOneChange extends AbstractCollectionOptionsChange {
    private String document;

    public String getDocument() {
        return document;
    }

    public void setDocument(String document) {
        this.document = document;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "document", document, "options", getOptions());
    }

    @Override
    public String getConfirmationMessage() {
        return "Document inserted into collection " + getCollectionName();
    }
}
