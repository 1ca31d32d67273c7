package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code updateOne}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "updateOne", description = "Updates one document (lbmongo)", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class UpdateOneChange extends AbstractLbmongoChange {
    private String collectionName;
    private String filter;
    private String update;
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

    public String getUpdate() {
        return update;
    }

    public void setUpdate(String update) {
        this.update = update;
    }

    public String getOptions() {
        return options;
    }

    public void setOptions(String options) {
        this.options = options;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "filter", filter, "update", update, "options", options);
    }

    @Override
    public String getConfirmationMessage() {
        return "Document updated in collection " + getCollectionName();
    }
}
