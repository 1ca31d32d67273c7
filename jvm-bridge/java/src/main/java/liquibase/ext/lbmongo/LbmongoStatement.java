package liquibase.ext.lbmongo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import liquibase.statement.AbstractSqlStatement;

/**
 * One change for {@link LbmongoExecutor} to run: the change's name and property texts (as the
 * native protocol carries them), and whether to run its inverse instead.
 */
public class LbmongoStatement extends AbstractSqlStatement {
    private final Map<String, Object> change;
    private final boolean rollback;
    private final List<String> lines;
    private final Map<String, Object> changeSetId;

    LbmongoStatement(Map<String, Object> change, boolean rollback, Map<String, Object> changeSetId) {
        this.change = change;
        this.rollback = rollback;
        this.lines = null;
        this.changeSetId = changeSetId;
    }

    private LbmongoStatement(List<String> lines) {
        this.change = new LinkedHashMap<>();
        this.rollback = false;
        this.lines = lines;
        this.changeSetId = null;
    }

    /** Ready-made {@code update-sql} lines (tracking and lock commands) for the logging executor. */
    static LbmongoStatement lines(List<String> lines) {
        return new LbmongoStatement(lines);
    }

    /** The ready-made lines, or {@code null} for a change. */
    List<String> lines() {
        return lines;
    }

    /** {@code {"name": …, "properties": [{"name", "value"}…]}}. */
    Map<String, Object> change() {
        return change;
    }

    boolean rollback() {
        return rollback;
    }

    /** {@code {"fileName", "id", "author"}} of the changeset, or {@code null}. */
    Map<String, Object> changeSetId() {
        return changeSetId;
    }

    /**
     * The request {@code Native.execute} takes; {@code runWith} is the executor core chose and
     * {@code mongosh} the {@code liquibase.mongodb.mongosh*} settings.
     */
    Map<String, Object> request(long handle, String runWith, Map<String, Object> mongosh) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("handle", handle);
        request.put("change", change);
        request.put("rollback", rollback);
        request.put("changeSet", changeSetId);
        request.put("runWith", runWith);
        request.put("mongosh", mongosh);
        return request;
    }

    @Override
    public boolean skipOnUnsupported() {
        return false;
    }

    @Override
    public String toString() {
        return lines != null ? "preview" : (rollback ? "rollback " : "") + change.get("name");
    }
}
