package dev.portcheck.importers.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The external data files an ONNX model's initializers refer to, found without parsing the model: a
 * memory estimate made before loading must not cost a load. Scans the protobuf's wire format for
 * ModelProto.graph, then GraphProto.initializer, then each TensorProto's {@code location} entry,
 * and skips every other field (inline {@code raw_data} included) without reading it.
 */
final class OnnxStoredBytes {
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int TENSOR_EXTERNAL_DATA = 13;
  private static final int ENTRY_KEY = 1;
  private static final int ENTRY_VALUE = 2;

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

  /** The distinct {@code location} values of the main graph's initializers, in file order. */
  static Set<String> locations(Path model) {
    Set<String> out = new LinkedHashSet<>();
    try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
      if (ch.size() > Integer.MAX_VALUE) {
        return out; // not a protobuf (2 GB at most)
      }
      MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      CodedInputStream in = CodedInputStream.newInstance(buf);
      in.setSizeLimit(Integer.MAX_VALUE);
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (isMessage(tag, MODEL_GRAPH)) {
          int limit = in.pushLimit(in.readRawVarint32());
          graph(in, out);
          in.popLimit(limit);
        } else if (!in.skipField(tag)) {
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not a readable protobuf: no external data counted, the importer reports the file
    }
    return out;
  }

  private static void graph(CodedInputStream in, Set<String> out) throws IOException {
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (isMessage(tag, GRAPH_INITIALIZER)) {
        int limit = in.pushLimit(in.readRawVarint32());
        tensor(in, out);
        in.popLimit(limit);
      } else if (tag == 0 || !in.skipField(tag)) {
        return;
      }
    }
  }

  private static void tensor(CodedInputStream in, Set<String> out) throws IOException {
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (isMessage(tag, TENSOR_EXTERNAL_DATA)) {
        int limit = in.pushLimit(in.readRawVarint32());
        String key = null;
        String value = null;
        while (!in.isAtEnd()) {
          int t = in.readTag();
          if (isMessage(t, ENTRY_KEY)) {
            key = in.readStringRequireUtf8();
          } else if (isMessage(t, ENTRY_VALUE)) {
            value = in.readStringRequireUtf8();
          } else if (t == 0 || !in.skipField(t)) {
            break;
          }
        }
        in.popLimit(limit);
        if ("location".equals(key) && value != null && !value.isEmpty()) {
          out.add(value);
        }
      } else if (tag == 0 || !in.skipField(tag)) {
        return;
      }
    }
  }

  /** Whether {@code tag} is field {@code field} with length-delimited wire type. */
  private static boolean isMessage(int tag, int field) {
    return tag == (field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED);
  }
}
