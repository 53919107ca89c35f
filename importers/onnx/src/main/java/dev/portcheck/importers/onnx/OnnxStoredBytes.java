package dev.portcheck.importers.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The external data files an ONNX model's initializers refer to, found without parsing the model: a
 * memory estimate made before loading must not cost a load. Walks the protobuf wire format of a
 * memory-mapped file, ModelProto.graph, then GraphProto.initializer, then each TensorProto's {@code
 * location} entry, and skips every other field (inline {@code raw_data} included) by its length, so
 * only the few pages holding field headers are read. (protobuf's CodedInputStream copies a mapped
 * buffer whole into the heap where it cannot use Unsafe.)
 */
final class OnnxStoredBytes {
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int TENSOR_EXTERNAL_DATA = 13;
  private static final int ENTRY_KEY = 1;
  private static final int ENTRY_VALUE = 2;
  private static final int VARINT = 0;
  private static final int I64 = 1;
  private static final int LEN = 2;
  private static final int I32 = 5;

  private OnnxStoredBytes() {}

  /**
   * Bytes of the distinct files the model's initializers keep their data in, inside the model's
   * folder (a location that leaves it, or is missing, counts 0: opening the model refuses it with a
   * better message). 0 when the file cannot be scanned.
   */
  static long externalBytes(Path model) {
    Path folder = model.toAbsolutePath().normalize().getParent();
    if (folder == null) {
      return 0;
    }
    long sum = 0;
    for (String location : locations(model)) {
      try {
        Path f = folder.resolve(location).normalize();
        if (f.startsWith(folder) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          sum += Files.size(f);
        }
      } catch (IOException | RuntimeException e) {
        // unreadable or an invalid path: the importer reports it when the model is opened
      }
    }
    return sum;
  }

  /**
   * The distinct {@code location} values of the main graph's initializers, in file order; those
   * found before a malformed field when the file is not a well-formed ModelProto.
   */
  static Set<String> locations(Path model) {
    Set<String> out = new LinkedHashSet<>();
    try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
      if (ch.size() > Integer.MAX_VALUE) {
        return out; // not a protobuf (2 GB at most)
      }
      new Walk(ch, out).message(0, (int) ch.size(), 0);
    } catch (IOException | RuntimeException e) {
      // not a readable protobuf: what was found counts, the importer reports the file
    }
    return out;
  }

  /** A walk over one file; {@code pos} moves forward only. */
  private static final class Walk {
    private static final int WINDOW = 4096;
    private final FileChannel ch;
    private final Set<String> out;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
    private long windowAt = -1;
    private int pos;

    Walk(FileChannel ch, Set<String> out) {
      this.ch = ch;
      this.out = out;
    }

    /** The byte at {@code at}, read through a window of the file. */
    private byte at(int at) {
      if (windowAt < 0 || at < windowAt || at >= windowAt + window.limit()) {
        window.clear();
        try {
          while (window.hasRemaining() && ch.read(window, at + window.position()) > 0) {
            // fill the window, or up to the end of the file
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        window.flip();
        windowAt = at;
        if (!window.hasRemaining()) {
          throw new IllegalArgumentException("read past the end");
        }
      }
      return window.get((int) (at - windowAt));
    }

    /**
     * Fields in [from, end) of a message at {@code depth} (0 model, 1 graph, 2 tensor, 3 entry).
     */
    void message(int from, int end, int depth) {
      pos = from;
      String key = null;
      String value = null;
      while (pos < end) {
        long tag = varint(end);
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (wire == LEN) {
          long len = varint(end);
          if (len < 0 || len > end - pos) {
            throw new IllegalArgumentException("field runs past its message");
          }
          int start = pos;
          int stop = (int) (start + len);
          if (depth == 0 && field == MODEL_GRAPH
              || depth == 1 && field == GRAPH_INITIALIZER
              || depth == 2 && field == TENSOR_EXTERNAL_DATA) {
            message(start, stop, depth + 1);
          } else if (depth == 3 && (field == ENTRY_KEY || field == ENTRY_VALUE)) {
            byte[] b = new byte[(int) len];
            for (int i = 0; i < b.length; i++) {
              b[i] = at(start + i);
            }
            String s = new String(b, StandardCharsets.UTF_8);
            if (field == ENTRY_KEY) {
              key = s;
            } else {
              value = s;
            }
          }
          pos = stop;
        } else if (wire == VARINT) {
          varint(end);
        } else if (wire == I64 || wire == I32) {
          pos += wire == I64 ? 8 : 4;
        } else {
          throw new IllegalArgumentException("wire type " + wire);
        }
      }
      if (depth == 3 && "location".equals(key) && value != null && !value.isEmpty()) {
        out.add(value);
      }
    }

    private long varint(int end) {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("varint cut off");
        }
        byte b = at(pos++);
        v |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint too long");
    }
  }
}
