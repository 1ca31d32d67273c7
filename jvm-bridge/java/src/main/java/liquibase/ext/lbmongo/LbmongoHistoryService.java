package liquibase.ext.lbmongo;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import liquibase.ChecksumVersion;
import liquibase.ContextExpression;
import liquibase.Labels;
import liquibase.change.Change;
import liquibase.change.CheckSum;
import liquibase.change.core.TagDatabaseChange;
import liquibase.changelog.AbstractChangeLogHistoryService;
import liquibase.changelog.ChangeLogHistoryService;
import liquibase.changelog.ChangeLogHistoryServiceFactory;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.RanChangeSet;
import liquibase.database.Database;
import liquibase.exception.DatabaseException;

/**
 * {@code DATABASECHANGELOG} for MongoDB, kept by the Rust engine in liquibase-mongodb's exact
 * document shape, so Liquibase with this jar, Liquibase with the official extension and lbmongo
 * read each other's history.
 *
 * <p>Liquibase computes what only it knows (the changeset's description, comments, checksum,
 * the run's deployment id, its own version); the engine derives the stored {@code contexts} and
 * {@code labels} from the expressions as written and writes the row. Extending
 * {@code AbstractChangeLogHistoryService} keeps {@code getDeploymentId()} right on both sides of
 * core 4.31, where the deployment id moved into the scope.
 *
 * <p>As core's {@code StandardChangeLogHistoryService} (4.24–4.33), the ran changesets are read
 * once per run and then kept up to date by this service's own writes (record, remove, tag,
 * clear and replace checksums) instead of being read again, so an update of n changesets reads
 * the history once, not n times. {@link #reset()} and {@link #destroy()} forget them.
 */
public class LbmongoHistoryService extends AbstractChangeLogHistoryService {
    private List<RanChangeSet> ran;
    private Integer lastOrder;
    private boolean initialized;

    @Override
    public int getPriority() {
        return PRIORITY_SPECIALIZED;
    }

    @Override
    public boolean supports(Database database) {
        return database instanceof LbmongoDatabase;
    }

    @Override
    public void reset() {
        super.reset();
        ran = null;
        lastOrder = null;
        initialized = false;
    }

    private LbmongoDatabase db() throws DatabaseException {
        Database d = getDatabase();
        if (!(d instanceof LbmongoDatabase)) {
            throw new DatabaseException("lbmongo's history service runs on MongoDB databases only");
        }
        return (LbmongoDatabase) d;
    }

    private Map<String, Object> call(String op, Map<String, Object> extra) throws DatabaseException {
        return call(db(), op, extra);
    }

    private static Map<String, Object> call(LbmongoDatabase db, String op, Map<String, Object> extra)
            throws DatabaseException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("handle", db.connection().handle());
        request.put("op", op);
        request.put("tracking", db.tracking());
        if (extra != null) {
            request.putAll(extra);
        }
        try {
            return Native.call("history", request);
        } catch (NativeException e) {
            throw new DatabaseException(e.getMessage(), e);
        }
    }

    /** Creates the collection, its unique index and validator (as {@code MongoHistoryService.init}). */
    @Override
    public void init() throws DatabaseException {
        // Under *-sql the setup is printed with the lock (LbmongoLockService), not done.
        if (!initialized && !db().previewing()) {
            call("init", null);
            initialized = true;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<RanChangeSet> getRanChangeSets() throws DatabaseException {
        if (ran == null) {
            List<RanChangeSet> rows = new ArrayList<>();
            for (Object o : (List<Object>) call("read", null).get("rows")) {
                rows.add(ranChangeSet((Map<String, Object>) o));
            }
            ran = rows;
        }
        // A copy: callers iterate it while this service updates the cache (a rollback removes
        // rows one by one from the list it walks).
        return new ArrayList<>(ran);
    }

    private static RanChangeSet ranChangeSet(Map<String, Object> r) {
        String md5sum = (String) r.get("md5sum");
        Number date = (Number) r.get("dateExecuted");
        String contexts = (String) r.get("contexts");
        String labels = (String) r.get("labels");
        RanChangeSet ran = new RanChangeSet(
                (String) r.get("fileName"),
                (String) r.get("id"),
                (String) r.get("author"),
                md5sum == null ? null : CheckSum.parse(md5sum),
                date == null ? null : new Date(date.longValue()),
                (String) r.get("tag"),
                ChangeSet.ExecType.valueOf((String) r.get("execType")),
                (String) r.get("description"),
                (String) r.get("comments"),
                contexts == null ? null : new ContextExpression(contexts),
                labels == null ? null : new Labels(labels),
                (String) r.get("deploymentId"));
        ran.setOrderExecuted(((Number) r.get("orderExecuted")).intValue());
        ran.setLiquibaseVersion((String) r.get("liquibase"));
        return ran;
    }

    /**
     * Records a changeset: a new row, or for {@code RERAN} an update of its row (as
     * liquibase-mongodb's {@code MongoHistoryService.markChangeSetRun}).
     */
    @Override
    public void setExecType(ChangeSet changeSet, ChangeSet.ExecType execType) throws DatabaseException {
        Map<String, Object> row = id(changeSet);
        // As MongoHistoryService: the checksum in the stored value's version, else the latest.
        CheckSum stored = changeSet.getStoredCheckSum();
        ChecksumVersion version = stored == null ? ChecksumVersion.latest()
                : ChecksumVersion.enumFromChecksumVersion(stored.getVersion());
        row.put("md5sum", changeSet.generateCheckSum(version).toString());
        row.put("execType", execType.name());
        row.put("description", changeSet.getDescription());
        row.put("comments", changeSet.getComments());
        ContextExpression own = changeSet.getContextFilter();
        row.put("contexts", own == null ? null : own.getOriginalString());
        List<String> inherited = new ArrayList<>();
        Collection<ContextExpression> filters = changeSet.getInheritableContextFilter();
        if (filters != null) {
            for (ContextExpression e : filters) {
                if (e != null && e.getOriginalString() != null) {
                    inherited.add(e.getOriginalString());
                }
            }
        }
        row.put("inheritedContexts", inherited);
        Labels labels = changeSet.getLabels();
        row.put("labels", labels == null || labels.isEmpty() ? null : labels.toString());
        row.put("tag", tag(changeSet));
        // Core 4.24's update-count/update-to-tag steps record rows without having called
        // generateDeploymentId(); every row still carries one, as the `update` path gives it.
        if (getDeploymentId() == null) {
            generateDeploymentId();
        }
        row.put("deploymentId", getDeploymentId());
        row.put("orderExecuted", getNextSequenceValue());
        row.put("liquibase", LbmongoDatabase.liquibaseVersion());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("row", row);
        if (db().previewing()) {
            db().print(lines(call("previewRecord", extra)));
            return;
        }
        Map<String, Object> written = call("record", extra);
        remember(execType, written.get("row"));
    }

    /**
     * Keeps the cached rows equal to what a fresh read would give after writing {@code row}: an
     * inserted row goes last (it has the highest {@code orderExecuted}); a {@code RERAN} update
     * changes only the fields it sets on every row of the changeset, which then also sort last.
     */
    @SuppressWarnings("unchecked")
    private void remember(ChangeSet.ExecType execType, Object row) {
        if (ran == null) {
            return;
        }
        if (!(row instanceof Map)) {
            ran = null;
            return;
        }
        RanChangeSet written = ranChangeSet((Map<String, Object>) row);
        if (execType != ChangeSet.ExecType.RERAN) {
            ran.add(written);
            return;
        }
        List<RanChangeSet> updated = new ArrayList<>();
        for (Iterator<RanChangeSet> it = ran.iterator(); it.hasNext();) {
            RanChangeSet r = it.next();
            if (same(r, written.getStoredChangeLog(), written.getId(), written.getAuthor())) {
                it.remove();
                updated.add(copy(r, written.getLastCheckSum(), written.getDateExecuted(),
                        written.getTag() != null ? written.getTag() : r.getTag(), ChangeSet.ExecType.RERAN,
                        written.getDeploymentId(), written.getOrderExecuted()));
            }
        }
        if (updated.isEmpty()) {
            // Nothing to update in the cache: the row is not where we thought; read it again.
            ran = null;
            return;
        }
        ran.addAll(updated);
    }

    /** Whether {@code r} is the row of {@code fileName::id::author} (the engine's exact filter). */
    private static boolean same(RanChangeSet r, String fileName, String id, String author) {
        return fileName != null && fileName.equals(stored(r)) && id.equals(r.getId()) && author.equals(r.getAuthor());
    }

    private static String stored(RanChangeSet r) {
        return r.getStoredChangeLog() != null ? r.getStoredChangeLog() : r.getChangeLog();
    }

    /** {@code r} with the given fields replaced (4.24's {@code RanChangeSet} has no setters for them). */
    private static RanChangeSet copy(RanChangeSet r, CheckSum checksum, Date dateExecuted, String tag,
            ChangeSet.ExecType execType, String deploymentId, Integer orderExecuted) {
        RanChangeSet c = new RanChangeSet(stored(r), r.getId(), r.getAuthor(), checksum, dateExecuted, tag, execType,
                r.getDescription(), r.getComments(), r.getContextExpression(), r.getLabels(), deploymentId);
        c.setOrderExecuted(orderExecuted);
        c.setLiquibaseVersion(r.getLiquibaseVersion());
        return c;
    }

    private static RanChangeSet withChecksum(RanChangeSet r, CheckSum checksum) {
        return copy(r, checksum, r.getDateExecuted(), r.getTag(), r.getExecType(), r.getDeploymentId(),
                r.getOrderExecuted());
    }

    @SuppressWarnings("unchecked")
    static List<String> lines(Map<String, Object> report) {
        return (List<String>) report.get("lines");
    }

    /** The last {@code tagDatabase} tag of the changeset, trimmed (as {@code extractTag}). */
    private static String tag(ChangeSet changeSet) {
        String tag = null;
        for (Change change : changeSet.getChanges()) {
            if (change instanceof TagDatabaseChange) {
                String t = ((TagDatabaseChange) change).getTag();
                tag = t == null || t.trim().isEmpty() ? null : t.trim();
            }
        }
        return tag;
    }

    private static Map<String, Object> id(ChangeSet changeSet) {
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("fileName", changeSet.getFilePath());
        id.put("id", changeSet.getId());
        id.put("author", changeSet.getAuthor());
        return id;
    }

    @Override
    public void removeFromHistory(ChangeSet changeSet) throws DatabaseException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("id", id(changeSet));
        if (db().previewing()) {
            db().print(lines(call("previewRemove", extra)));
            return;
        }
        Map<String, Object> changed = call("remove", extra);
        if (ran == null) {
            return;
        }
        mirror(changed, i -> ran.remove(i));
    }

    /**
     * Applies to the cache what the engine reports it changed ({@code {"changed": id, "rows": n}}):
     * {@code apply} gets the index of each cached row of that identity, last first (so removing one
     * leaves the others' indexes valid). When the cache does not hold exactly the engine's {@code n} rows of it,
     * the cache is dropped and the next read asks the database: the engine's write is the truth.
     */
    @SuppressWarnings("unchecked")
    private void mirror(Map<String, Object> changed, IntConsumer apply) {
        Map<String, Object> id = (Map<String, Object>) changed.get("changed");
        long rows = ((Number) changed.get("rows")).longValue();
        List<Integer> hits = new ArrayList<>();
        for (int i = 0; i < ran.size(); i++) {
            if (same(ran.get(i), (String) id.get("fileName"), (String) id.get("id"), (String) id.get("author"))) {
                hits.add(i);
            }
        }
        if (hits.size() != rows) {
            ran = null;
            return;
        }
        for (int k = hits.size() - 1; k >= 0; k--) {
            apply.accept(hits.get(k));
        }
    }

    /** {@code max(orderExecuted) + 1}, read once per run, then counted up. */
    @Override
    public int getNextSequenceValue() throws DatabaseException {
        if (lastOrder == null) {
            lastOrder = ((Number) call("maxOrder", null).get("max")).intValue();
        }
        lastOrder = lastOrder + 1;
        return lastOrder;
    }

    @Override
    public void tag(String tagString) throws DatabaseException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("tag", tagString);
        extra.put("liquibase", LbmongoDatabase.liquibaseVersion());
        // The engine decides which row is newest and says which one it tagged; on an empty
        // history that is Liquibase's placeholder row, which only a read brings into the cache.
        @SuppressWarnings("unchecked")
        Map<String, Object> tagged = (Map<String, Object>) call("tag", extra).get("tagged");
        if (ran == null || tagged == null) {
            ran = null;
            return;
        }
        for (int i = 0; i < ran.size(); i++) {
            RanChangeSet r = ran.get(i);
            if (same(r, (String) tagged.get("fileName"), (String) tagged.get("id"), (String) tagged.get("author"))) {
                ran.set(i, copy(r, r.getLastCheckSum(), r.getDateExecuted(), tagString, r.getExecType(),
                        r.getDeploymentId(), r.getOrderExecuted()));
                return;
            }
        }
        ran = null;
    }

    @Override
    public boolean tagExists(String tag) throws DatabaseException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("tag", tag);
        return Boolean.TRUE.equals(call("tagExists", extra).get("exists"));
    }

    @Override
    public void clearAllCheckSums() throws DatabaseException {
        call("clearChecksums", null);
        if (ran != null) {
            for (int i = 0; i < ran.size(); i++) {
                ran.set(i, withChecksum(ran.get(i), null));
            }
        }
    }

    /** Stores the changeset's latest-version checksum: v8 upgrades and cleared values. */
    @Override
    public void replaceChecksum(ChangeSet changeSet) throws DatabaseException {
        if (db().previewing()) {
            return;
        }
        CheckSum checksum = changeSet.generateCheckSum(ChecksumVersion.latest());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("id", id(changeSet));
        extra.put("checksum", checksum.toString());
        Map<String, Object> changed = call("replaceChecksum", extra);
        if (ran != null) {
            mirror(changed, i -> ran.set(i, withChecksum(ran.get(i), checksum)));
        }
    }

    /**
     * Core's checksum refill ({@code UpdateChangeSetChecksumStatement}) as {@link LbmongoExecutor}
     * receives it: through the database's history service, so its cache stays right.
     */
    static void replace(LbmongoDatabase db, ChangeSet changeSet) throws DatabaseException {
        ChangeLogHistoryService service = ChangeLogHistoryServiceFactory.getInstance().getChangeLogService(db);
        if (service instanceof LbmongoHistoryService) {
            service.replaceChecksum(changeSet);
            return;
        }
        LbmongoHistoryService standalone = new LbmongoHistoryService();
        standalone.setDatabase(db);
        standalone.replaceChecksum(changeSet);
    }

    @Override
    public void destroy() throws DatabaseException {
        call("destroy", null);
        reset();
    }

    /** True when every row has a checksum of the latest version (nothing to upgrade). */
    @Override
    public boolean isDatabaseChecksumsCompatible() {
        try {
            for (RanChangeSet r : getRanChangeSets()) {
                CheckSum c = r.getLastCheckSum();
                if (c == null || c.getVersion() != ChecksumVersion.latest().getVersion()) {
                    return false;
                }
            }
            return true;
        } catch (DatabaseException e) {
            return false;
        }
    }
}
