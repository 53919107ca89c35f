package dev.portcheck.importers.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Walks the top-level fields of a file as if it were an ONNX {@code ModelProto}, without parsing
 * their contents. Length-delimited fields are skipped by seeking, so even a large model is judged
 * from a few hundred bytes, and a declared length running past the end of the file is told apart
 * from bytes that are not protobuf at all.
 */
final class OnnxFileProbe {

  /** What the walk found. */
  enum Verdict {
    /** Every top-level field fits ModelProto, with an ir_version and a graph. */
    MODEL,
    /** Starts like a ModelProto but a field runs past the end of the file. */
    TRUNCATED,
    /** Empty file. */
    EMPTY,
    /** Not a ModelProto. */
    OTHER
  }

  /** Walk result with a human-readable reason for anything but {@link Verdict#MODEL}. */
  record Result(Verdict verdict, String detail) {}

  // Wire types ModelProto's known fields must use; a GraphDef or SavedModel differs early on.
  private static final int VARINT = 0;
  private static final int LEN = 2;

  private OnnxFileProbe() {}

  static Result probe(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        return new Result(Verdict.EMPTY, "the file is empty (0 bytes)");
      }
      long pos = 0;
      boolean irVersion = false;
      boolean graph = false;
      int fields = 0;
      ByteBuffer buf = ByteBuffer.allocate(10);
      while (pos < size) {
        long[] tag = readVarint(ch, pos, size, buf);
        if (tag == null) {
          return truncatedOrOther(irVersion, "a field header at byte " + pos + " is cut off");
        }
        pos = tag[1];
        int field = (int) (tag[0] >>> 3);
        int wire = (int) (tag[0] & 7);
        Integer expected = expectedWireType(field);
        if (expected == null || expected != wire) {
          return new Result(
              Verdict.OTHER,
              "byte "
                  + pos
                  + " holds field "
                  + field
                  + " (wire type "
                  + wire
                  + "), "
                  + "which is not part of an ONNX ModelProto");
        }
        if (wire == VARINT) {
          long[] v = readVarint(ch, pos, size, buf);
          if (v == null) {
            return truncatedOrOther(irVersion, "the value of field " + field + " is cut off");
          }
          if (field == 1) {
            // ONNX IR versions are small integers (1..11 so far); a huge value means other data.
            if (v[0] < 1 || v[0] > 100) {
              return new Result(Verdict.OTHER, "ir_version " + v[0] + " is implausible");
            }
            irVersion = true;
          }
          pos = v[1];
        } else {
          long[] len = readVarint(ch, pos, size, buf);
          if (len == null) {
            return truncatedOrOther(irVersion, "the length of field " + field + " is cut off");
          }
          pos = len[1];
          if (len[0] < 0 || pos + len[0] > size) {
            return truncatedOrOther(
                irVersion,
                "field "
                    + fieldName(field)
                    + " declares "
                    + len[0]
                    + " bytes but only "
                    + (size - pos)
                    + " remain");
          }
          if (field == 7) {
            graph = true;
          }
          pos += len[0];
        }
        fields++;
      }
      if (!irVersion) {
        return new Result(Verdict.OTHER, "it has no ir_version field");
      }
      if (!graph) {
        return new Result(Verdict.OTHER, "it has no graph");
      }
      return new Result(Verdict.MODEL, "");
    } catch (IOException | RuntimeException e) {
      return new Result(Verdict.OTHER, "it cannot be read: " + e.getMessage());
    }
  }

  private static Result truncatedOrOther(boolean irVersion, String detail) {
    return new Result(irVersion ? Verdict.TRUNCATED : Verdict.OTHER, detail);
  }

  private static Integer expectedWireType(int field) {
    return switch (field) {
      case 1, 5 -> VARINT; // ir_version, model_version
      case 2, 3, 4, 6, 7, 8, 14, 20, 25, 26 -> LEN; // strings, graph, opsets, props, functions
      default -> null;
    };
  }

  private static String fieldName(int field) {
    return switch (field) {
      case 7 -> "graph";
      case 8 -> "opset_import";
      case 25 -> "functions";
      default -> "#" + field;
    };
  }

  /** A varint at {@code pos}: {value, next position}, or null when the file ends inside it. */
  private static long[] readVarint(FileChannel ch, long pos, long size, ByteBuffer buf)
      throws IOException {
    buf.clear();
    int n = (int) Math.min(10, size - pos);
    buf.limit(n);
    int read = 0;
    while (read < n) {
      int r = ch.read(buf, pos + read);
      if (r < 0) {
        break;
      }
      read += r;
    }
    long value = 0;
    for (int i = 0; i < read; i++) {
      int b = buf.get(i) & 0xff;
      value |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        return new long[] {value, pos + i + 1};
      }
    }
    return null;
  }
}
