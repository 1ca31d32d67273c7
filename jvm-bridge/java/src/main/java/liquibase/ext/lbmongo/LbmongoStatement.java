package liquibase.ext.lbmongo;

import java.util.LinkedHashMap;
import java.util.Map;

import liquibase.statement.AbstractSqlStatement;

/**
 * One change for {@link LbmongoExecutor} to run: the change's name and property texts (as the
 * native protocol carries them), and whether to run its inverse instead.
 */
public class LbmongoStatement extends AbstractSqlStatement {
    private final Map<String, Object> change;
    private final boolean rollback;

    LbmongoStatement(Map<String, Object> change, boolean rollback) {
        this.change = change;
        this.rollback = rollback;
    }

    /** {@code {"name": …, "properties": [{"name", "value"}…]}}. */
    Map<String, Object> change() {
        return change;
    }

    boolean rollback() {
        return rollback;
    }

    /** The request {@code Native.execute} takes. */
    Map<String, Object> request(long handle) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("handle", handle);
        request.put("change", change);
        request.put("rollback", rollback);
        return request;
    }

    @Override
    public boolean skipOnUnsupported() {
        return false;
    }

    @Override
    public String toString() {
        return (rollback ? "rollback " : "") + change.get("name");
    }
}
