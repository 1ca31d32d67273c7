package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code deleteOne} and {@code deleteMany}: a collection, a {@code filter} and {@code options}. */
public abstract class AbstractFilterChange extends AbstractCollectionOptionsChange {
    private String filter;

    public String getFilter() {
        return filter;
    }

    public void setFilter(String filter) {
        this.filter = filter;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "filter", filter, "options", getOptions());
    }
}
