package liquibase.ext.lbmongo;

/**
 * The executor core asks for when a changeset says {@code runWith="mongosh"} (Harness's
 * {@code MongoshExecutor}, Liquibase Pro's native executor): the same as {@link LbmongoExecutor},
 * whose requests then carry {@code runWith: mongosh}, so the engine runs {@code mongo} and
 * {@code mongoFile} scripts natively or through mongosh as {@code lbmongo update} does.
 */
public class LbmongoMongoshExecutor extends LbmongoExecutor {
    @Override
    public String getName() {
        return "mongosh";
    }
}
