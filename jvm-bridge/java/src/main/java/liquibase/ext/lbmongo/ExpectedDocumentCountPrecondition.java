package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code <mongodb:expectedDocumentCount>} (liquibase-mongodb's name and properties), checked by the engine. */
public class ExpectedDocumentCountPrecondition extends AbstractLbmongoPrecondition {
    private String collectionName;
    private String filter;
    private String expectedCount;

    @Override
    public String getName() {
        return "expectedDocumentCount";
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

    public String getExpectedCount() {
        return expectedCount;
    }

    public void setExpectedCount(String expectedCount) {
        this.expectedCount = expectedCount;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", collectionName, "filter", filter, "expectedCount", expectedCount);
    }
}
