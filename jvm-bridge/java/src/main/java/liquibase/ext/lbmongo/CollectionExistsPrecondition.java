package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code <mongodb:collectionExists>} (liquibase-mongodb's name and properties), checked by the engine. */
public class CollectionExistsPrecondition extends AbstractLbmongoPrecondition {
    private String collectionName;

    @Override
    public String getName() {
        return "collectionExists";
    }

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName);
    }
}
