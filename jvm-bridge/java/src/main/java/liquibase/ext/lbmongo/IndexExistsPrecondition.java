package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code <mongodb:indexExists>} (lbmongo's own, liquibase-mongodb#283), checked by the engine. */
public class IndexExistsPrecondition extends AbstractLbmongoPrecondition {
    private String collectionName;
    private String keys;
    private String indexName;

    @Override
    public String getName() {
        return "indexExists";
    }

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }

    public String getKeys() {
        return keys;
    }

    public void setKeys(String keys) {
        this.keys = keys;
    }

    public String getIndexName() {
        return indexName;
    }

    public void setIndexName(String indexName) {
        this.indexName = indexName;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "keys", keys, "indexName", indexName);
    }
}
