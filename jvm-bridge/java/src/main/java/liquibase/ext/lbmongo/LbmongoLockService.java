package liquibase.ext.lbmongo;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import liquibase.GlobalConfiguration;
import liquibase.Scope;
import liquibase.database.Database;
import liquibase.exception.DatabaseException;
import liquibase.exception.LockException;
import liquibase.lockservice.DatabaseChangeLogLock;
import liquibase.lockservice.LockService;

/**
 * {@code DATABASECHANGELOGLOCK} for MongoDB, taken and released by the Rust engine (the same
 * document and algorithm lbmongo uses, so the tools exclude each other).
 *
 * <p>A lock this service takes is held by the engine until {@link #releaseLock()}; the engine
 * polls while another process holds it, for the wait and recheck times core configures.
 */
public class LbmongoLockService implements LockService {
    private LbmongoDatabase database;
    private Long held;
    /** Under *-sql: the lock commands were printed instead of run. */
    private boolean previewLocked;
    /** Set by a caller of the setters (embedded use); else Liquibase's global settings. */
    private Long waitMillis;
    private Long pollMillis;
    /** {@link #init()} created the collection already (as StandardLockService's flag). */
    private boolean initialized;

    @Override
    public int getPriority() {
        return liquibase.plugin.Plugin.PRIORITY_SPECIALIZED;
    }

    @Override
    public boolean supports(Database database) {
        return database instanceof LbmongoDatabase;
    }

    @Override
    public void setDatabase(Database database) {
        this.database = (LbmongoDatabase) database;
    }

    /** Minutes, as core passes {@code changelogLockWaitTimeInMinutes}. */
    @Override
    public void setChangeLogLockWaitTime(long changeLogLockWaitTime) {
        this.waitMillis = changeLogLockWaitTime * 60 * 1000L;
    }

    /** Seconds, as core passes {@code changelogLockPollRate}. */
    @Override
    public void setChangeLogLockRecheckTime(long changeLogLockRecheckTime) {
        this.pollMillis = changeLogLockRecheckTime * 1000L;
    }

    /**
     * As core's {@code StandardLockService}: without a setter call the wait and poll times are
     * {@code liquibase.changelogLockWaitTimeInMinutes} and {@code liquibase.changelogLockPollRate}
     * (command line, {@code LIQUIBASE_*} variables, defaults file), read when the lock is taken.
     */
    private long waitMillis() {
        if (waitMillis != null) {
            return waitMillis;
        }
        return GlobalConfiguration.CHANGELOGLOCK_WAIT_TIME.getCurrentValue() * 60 * 1000L;
    }

    private long pollMillis() {
        if (pollMillis != null) {
            return pollMillis;
        }
        return GlobalConfiguration.CHANGELOGLOCK_POLL_RATE.getCurrentValue() * 1000L;
    }

    @Override
    public boolean hasChangeLogLock() {
        return held != null || previewLocked;
    }

    private boolean previewing() {
        return database != null && database.previewing();
    }

    private void preview(String op) throws LockException {
        try {
            database.print(LbmongoHistoryService.lines(call(op, 0, null)));
        } catch (DatabaseException e) {
            throw new LockException(e.getMessage(), e);
        }
    }

    @Override
    public void waitForLock() throws LockException {
        if (held != null || previewLocked) {
            return;
        }
        if (previewing()) {
            preview("previewAcquire");
            previewLocked = true;
            return;
        }
        Map<String, Object> report = acquire(waitMillis());
        if (!report.containsKey("lock")) {
            // StandardLockService.waitForLock's words, from the engine.
            throw new LockException((String) report.get("message"));
        }
        held = ((Number) report.get("lock")).longValue();
    }

    @Override
    public boolean acquireLock() throws LockException {
        if (held != null) {
            return true;
        }
        Map<String, Object> report = acquire(0);
        if (report.containsKey("lock")) {
            held = ((Number) report.get("lock")).longValue();
            return true;
        }
        return false;
    }

    /**
     * The engine's acquire, which polls while another process holds the lock: each time it
     * polls again, this logs what core's {@code StandardLockService.waitForLock} (4.33.0) logs
     * before each sleep, and lets it go on waiting.
     */
    private Map<String, Object> acquire(long wait) throws LockException {
        Map<String, Object> report = call("acquire", wait, null);
        while (report.containsKey("waiting")) {
            Scope.getCurrentScope().getLog(getClass()).info("Waiting for changelog lock....");
            report = call("await", wait, ((Number) report.get("waiting")).longValue());
        }
        return report;
    }

    @Override
    public void releaseLock() throws LockException {
        if (previewLocked) {
            previewLocked = false;
            preview("previewRelease");
            return;
        }
        if (held == null) {
            return;
        }
        Long id = held;
        held = null;
        call("release", 0, id);
    }

    /**
     * {@code drop-all} dropped the lock collection under a held lock: the lock is gone with it,
     * so the release core sends next has nothing to do (the engine's holder is told to stop).
     */
    void lockCollectionDropped() {
        initialized = false;
        if (held == null) {
            return;
        }
        Long id = held;
        held = null;
        try {
            call("release", 0, id);
        } catch (LockException expected) {
            // The document was dropped, so the engine finds nothing to release.
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public DatabaseChangeLogLock[] listLocks() throws LockException {
        List<DatabaseChangeLogLock> locks = new ArrayList<>();
        for (Object o : (List<Object>) call("list", 0, null).get("locks")) {
            Map<String, Object> l = (Map<String, Object>) o;
            if (Boolean.TRUE.equals(l.get("locked"))) {
                Number granted = (Number) l.get("granted");
                locks.add(new DatabaseChangeLogLock(((Number) l.get("id")).intValue(),
                        granted == null ? null : new Date(granted.longValue()), (String) l.get("lockedBy")));
            }
        }
        return locks.toArray(new DatabaseChangeLogLock[0]);
    }

    /** {@code release-locks}: frees the lock whoever holds it (a crashed run's lock included). */
    @Override
    public void forceReleaseLock() throws LockException {
        call("forceRelease", 0, null);
        held = null;
    }

    @Override
    public void reset() {
        held = null;
        previewLocked = false;
        initialized = false;
    }

    /**
     * Creates the lock collection with its validator and no lock document, as liquibase-mongodb's
     * {@code MongoLockService.init} does: {@code validate} and {@code status} call this without
     * taking the lock, and leave the same collections behind. A {@code *-sql} command writes
     * nothing (its preview prints the setup with the lock command instead).
     */
    @Override
    public void init() throws DatabaseException {
        if (initialized || database == null || previewing()) {
            return;
        }
        try {
            call("init", 0, null);
        } catch (LockException e) {
            throw new DatabaseException(e.getMessage(), e);
        }
        initialized = true;
    }

    @Override
    public void destroy() throws DatabaseException {
        initialized = false;
        try {
            call("destroy", 0, null);
        } catch (LockException e) {
            throw new DatabaseException(e.getMessage(), e);
        }
    }

    private Map<String, Object> call(String op, long wait, Long lock) throws LockException {
        Map<String, Object> request = new LinkedHashMap<>();
        try {
            request.put("handle", database.connection().handle());
        } catch (DatabaseException e) {
            throw new LockException(e.getMessage(), e);
        }
        request.put("op", op);
        request.put("tracking", database.tracking());
        request.put("waitMillis", wait);
        request.put("pollMillis", pollMillis());
        request.put("hostDescription", System.getProperty("liquibase.hostDescription"));
        request.put("lock", lock);
        try {
            return Native.call("lock", request);
        } catch (NativeException e) {
            throw new LockException(e.getMessage(), e);
        }
    }
}
