package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code deleteOne}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "deleteOne", description = "Deletes one document (lbmongo)", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class DeleteOneChange extends AbstractLbmongoChange {
    private String collectionName;
    private String filter;
    private String options;

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    public String getFilter() {
        return filter;
    }

    public void setFilter(String filter) {
        this.filter = filter;
    }

    public String getOptions() {
        return options;
    }

    public void setOptions(String options) {
        this.options = options;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "filter", filter, "options", options);
    }

    @Override
    public String getConfirmationMessage() {
        return "Document deleted from collection " + getCollectionName();
    }
}
