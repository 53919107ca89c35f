package dev.portcheck.importers.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes numpy {@code .npy} files (format 1.0-3.0, C order, little-endian float32/64,
 * int32/64, bool), the format people already have their probe inputs and reference outputs in.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** Refuse headers or payloads that would not fit a Java array rather than fail halfway. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private Npy() {}

  /** Reads a {@code .npy} file into a tensor. */
  public static Tensor read(Path path) {
    byte[] bytes;
    try {
      if (!Files.exists(path)) {
        throw PortcheckException.notFound(path);
      }
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw PortcheckException.unreadable(path, e);
    }
    return parse(path, bytes);
  }

  /** Parses {@code .npy} bytes; {@code path} only names the source in errors. */
  public static Tensor parse(Path path, byte[] bytes) {
    if (bytes.length < 10 || !startsWith(bytes, MAGIC)) {
      throw notNpy(path, "it does not start with the \\x93NUMPY magic");
    }
    int major = bytes[6];
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen;
    int offset;
    if (major == 1) {
      headerLen = Short.toUnsignedInt(buf.getShort(8));
      offset = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.length < 12) {
        throw PortcheckException.truncated(path, "header length missing");
      }
      headerLen = buf.getInt(8);
      offset = 12;
    } else {
      throw notNpy(path, "its format version " + major + " is unknown");
    }
    if (headerLen < 0 || offset + (long) headerLen > bytes.length) {
      throw PortcheckException.truncated(path, ".npy header says " + headerLen + " bytes");
    }
    String header = new String(bytes, offset, headerLen, StandardCharsets.ISO_8859_1);
    String descr = group(path, DESCR, header, "descr");
    if ("True".equals(group(path, FORTRAN, header, "fortran_order"))) {
      throw PortcheckException.badInput(
          path, "Fortran-ordered arrays are not supported; save with np.ascontiguousarray(a).");
    }
    long[] shape = parseShape(path, group(path, SHAPE, header, "shape"));
    long count = 1;
    for (long d : shape) {
      // Checked before multiplying: (3, 2^63-1) must be "too large", not a long overflow.
      if (d != 0 && count > MAX_ELEMENTS / d) {
        throw PortcheckException.badInput(
            path,
            "shape "
                + java.util.Arrays.toString(shape)
                + " holds more than "
                + MAX_ELEMENTS
                + " elements, too large for one array; save a smaller sample");
      }
      count *= d;
    }
    int n = (int) count;
    int dataStart = offset + headerLen;
    ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    String kind = descr.replaceFirst("^[<>|=]", "");
    int width =
        switch (kind) {
          case "f4", "i4", "u4" -> 4;
          case "f8", "i8", "u8" -> 8;
          case "f2", "i2", "u2" -> 2;
          case "b1", "i1", "u1" -> 1;
          default ->
              throw PortcheckException.badInput(
                  path,
                  "dtype '"
                      + descr
                      + "' is not supported; use float32, float64, int32, int64 or bool.");
        };
    long need = (long) n * width;
    if (bytes.length - dataStart < need) {
      throw PortcheckException.truncated(
          path, "shape needs " + need + " data bytes, found " + (bytes.length - dataStart));
    }
    ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) need).slice().order(order);
    switch (kind) {
      case "f4" -> {
        float[] f = new float[n];
        data.asFloatBuffer().get(f);
        return Tensor.wrapFloats(DType.FLOAT32, shape, f);
      }
      case "f8" -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) data.getDouble(i * 8);
        }
        return Tensor.wrapFloats(DType.FLOAT64, shape, f);
      }
      case "f2" -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = Half.toFloat(data.getShort(i * 2));
        }
        return Tensor.wrapFloats(DType.FLOAT16, shape, f);
      }
      default -> {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
          l[i] =
              switch (width) {
                case 8 -> data.getLong(i * 8);
                case 4 ->
                    kind.startsWith("u")
                        ? Integer.toUnsignedLong(data.getInt(i * 4))
                        : data.getInt(i * 4);
                case 2 ->
                    kind.startsWith("u")
                        ? Short.toUnsignedInt(data.getShort(i * 2))
                        : data.getShort(i * 2);
                default -> kind.startsWith("i") ? data.get(i) : Byte.toUnsignedInt(data.get(i));
              };
        }
        DType t =
            switch (kind) {
              case "i8", "u8" -> DType.INT64;
              case "i4", "u4" -> DType.INT32;
              case "i2", "u2" -> DType.INT16;
              case "b1" -> DType.BOOL;
              case "u1" -> DType.UINT8;
              default -> DType.INT8;
            };
        return Tensor.ofLongs(t, shape, l);
      }
    }
  }

  /**
   * Writes a tensor as a little-endian {@code .npy} (float32 for floating tensors, int64 else),
   * replacing the file atomically ({@link AtomicFiles}).
   */
  public static void write(Path path, Tensor t) throws IOException {
    boolean floating = t.dtype().isFloating();
    String header =
        "{'descr': '"
            + (floating ? "<f4" : "<i8")
            + "', 'fortran_order': False, 'shape': "
            + shapeLiteral(t.shape())
            + ", }";
    int total = MAGIC.length + 4 + header.length() + 1;
    int pad = (64 - total % 64) % 64;
    header = header + " ".repeat(pad) + "\n";
    ByteBuffer out = ByteBuffer.allocate(10 + header.length() + t.size() * (floating ? 4 : 8));
    out.order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    out.put(header.getBytes(StandardCharsets.ISO_8859_1));
    for (int i = 0; i < t.size(); i++) {
      if (floating) {
        out.putFloat(t.getFloat(i));
      } else {
        out.putLong(t.getLong(i));
      }
    }
    AtomicFiles.write(path, os -> os.write(out.array()));
  }

  private static String shapeLiteral(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return sb.append(")").toString();
  }

  /** A file given as {@code .npy} that is not one: say so and how to make one. */
  private static PortcheckException notNpy(Path path, String why) {
    return PortcheckException.of(
        PortcheckException.Reason.BAD_INPUT,
        path + ": not a valid .npy array: " + why + "; save arrays with numpy.save(path, array).",
        null);
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String group(Path path, Pattern p, String header, String key) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw notNpy(path, "its header has no '" + key + "'");
    }
    return m.group(1);
  }

  private static long[] parseShape(Path path, String s) {
    List<Long> dims = new ArrayList<>();
    for (String part : s.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      try {
        long d = Long.parseLong(p.replace("L", ""));
        if (d < 0) {
          throw notNpy(path, "its shape has a negative dimension");
        }
        dims.add(d);
      } catch (NumberFormatException e) {
        throw notNpy(path, "its shape '" + s + "' is not a tuple of integers");
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }
}
