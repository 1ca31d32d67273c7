package liquibase.ext.lbmongo;

/**
 * The one exception the native library reports: the executor's message and a stable kind
 * ({@code LockHeld}, {@code Invalid}, {@code Command}, {@code Panic}, …). The SPI classes wrap
 * it in the Liquibase exception each method declares, so users see the executor's message.
 */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String kind;

    public NativeException(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    public NativeException(String kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** The failure's kind, e.g. {@code LockHeld}. */
    public String getKind() {
        return kind;
    }
}
