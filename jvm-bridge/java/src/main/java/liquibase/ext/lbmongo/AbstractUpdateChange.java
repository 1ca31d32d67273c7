package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code updateOne} and {@code updateMany}: the filtered collection and its {@code update}. */
public abstract class AbstractUpdateChange extends AbstractFilterChange {
    private String update;

    public String getUpdate() {
        return update;
    }

    public void setUpdate(String update) {
        this.update = update;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("collectionName", getCollectionName(), "filter", getFilter(), "update", update, "options",
                getOptions());
    }
}
