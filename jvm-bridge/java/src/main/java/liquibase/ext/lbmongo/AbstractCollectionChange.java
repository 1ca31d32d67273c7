package liquibase.ext.lbmongo;

/**
 * A change on one collection: liquibase-mongodb's {@code collectionName} property. Liquibase finds
 * inherited bean properties by introspection, so subclasses keep the same parameters as
 * liquibase-mongodb's classes, which declare them one by one.
 */
public abstract class AbstractCollectionChange extends AbstractLbmongoChange {
    private String collectionName;

    public String getCollectionName() {
        return collectionName;
    }

    public void setCollectionName(String collectionName) {
        this.collectionName = collectionName;
    }
}
