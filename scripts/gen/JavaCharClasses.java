// Prints the JAVA_CHAR_CLASSES table of executor/src/json/java_char.rs: the class of every code
// point of the Basic Multilingual Plane as Java's Character sees it, as runs (start, class). Run
// with the JDK whose Unicode version the table must follow (Java 17: Unicode 13):
//
//     java scripts/gen/JavaCharClasses.java
//
// The classes (java_char.rs CLASS_*): 0 escaped by the Extended JSON writer (controls, marks,
// format, unassigned, separators other than space, ...), 1 written as is (numbers other than
// digits, space separators, punctuation, symbols), 2 a letter, 3 a modifier letter (a letter the
// writer escapes), 4 a digit. The e2e test `generated::java_char_classes_match_their_generator`
// runs this program and compares its output with the table.
public class JavaCharClasses {
    static int classOf(int c) {
        int type = Character.getType(c);
        if (Character.isLetter(c)) {
            return type == Character.MODIFIER_LETTER ? 3 : 2;
        }
        if (Character.isDigit(c)) {
            return 4;
        }
        switch (type) {
            case Character.LETTER_NUMBER:
            case Character.OTHER_NUMBER:
            case Character.SPACE_SEPARATOR:
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
            case Character.MATH_SYMBOL:
            case Character.CURRENCY_SYMBOL:
            case Character.MODIFIER_SYMBOL:
            case Character.OTHER_SYMBOL:
                return 1;
            default:
                return 0;
        }
    }

    public static void main(String[] args) {
        java.util.List<String> runs = new java.util.ArrayList<>();
        int previous = -1;
        for (int c = 0; c <= 0xFFFF; c++) {
            int cls = classOf(c);
            if (cls != previous) {
                runs.add(String.format("(0x%04X, %d)", c, cls));
                previous = cls;
            }
        }
        StringBuilder out = new StringBuilder();
        out.append("const JAVA_CHAR_CLASSES: [(u16, u8); ").append(runs.size()).append("] = [\n");
        for (int i = 0; i < runs.size(); i += 8) {
            out.append("   ");
            for (int j = i; j < Math.min(i + 8, runs.size()); j++) {
                out.append(' ').append(runs.get(j)).append(',');
            }
            out.append('\n');
        }
        out.append("];\n");
        System.out.print(out);
    }
}
