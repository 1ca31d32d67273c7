package liquibase.ext.lbmongo;

/**
 * A change on one collection that takes liquibase-mongodb's {@code options} document too
 * ({@code createCollection}, {@code createIndex}, the inserts, updates and deletes). In the texts
 * {@code options} comes last, after the subclass's own properties, as liquibase-mongodb's classes
 * pass them to their checksum.
 */
public abstract class AbstractCollectionOptionsChange extends AbstractCollectionChange {
    private String options;

    public String getOptions() {
        return options;
    }

    public void setOptions(String options) {
        this.options = options;
    }
}
