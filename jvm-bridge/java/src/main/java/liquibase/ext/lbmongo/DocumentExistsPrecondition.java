package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code <mongodb:documentExists>} (liquibase-mongodb's name and properties), checked by the engine. */
public class DocumentExistsPrecondition extends AbstractLbmongoPrecondition {
    private String collectionName;
    private String filter;

    @Override
    public String getName() {
        return "documentExists";
    }

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

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "filter", filter);
    }
}
