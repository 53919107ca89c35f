package dev.portcheck.cli;

import dev.portcheck.importers.api.testing.Fixtures;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.OperatorSetIdProto;
import dev.portcheck.importers.onnx.proto.StringStringEntryProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.TensorShapeProto;
import dev.portcheck.importers.onnx.proto.TypeProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The bad-input corpus: untrusted or broken files of every format portcheck reads, generated into a
 * folder from the fixtures and a few hand-built protobufs, zips and pickles (nothing binary is
 * committed). Each entry knows how it is fed to the CLI and which words the one-line error must
 * hold besides the file's name.
 */
final class BadInputCorpus {
  /** How an entry reaches portcheck. */
  enum Use {
    /** A model: {@code inspect BAD} and {@code compare GOOD BAD}. */
    MODEL,
    /** A label file: {@code compare GOOD GOOD --labels BAD --labels OK}. */
    LABELS,
    /** An input: {@code compare GOOD GOOD --input BAD}. */
    INPUT
  }

  /**
   * One corpus entry.
   *
   * @param id short name, shown in test names
   * @param use how it is fed to the CLI
   * @param file the bad file or folder; its name must appear in the error
   * @param expect words the error must contain (the problem, case-insensitive)
   * @param partner the good model a bad model is compared with (same inputs)
   */
  record Entry(String id, Use use, Path file, List<String> expect, Path partner) {
    @Override
    public String toString() {
      return id;
    }
  }

  static final String GOOD_ONNX = "models/cnn/cnn.bn.onnx";
  static final String GOOD_TF = "models/cnn/cnn.keras.savedmodel";
  private static final String TORCHSCRIPT = "models/cnn/cnn.torchscript.pt";
  private static final String CHECKPOINT = "models/cnn/cnn.pth";
  private static final String FROZEN = "models/cnn/cnn.keras.frozen.pb";

  private final Path dir;
  private final List<Entry> entries = new ArrayList<>();

  private BadInputCorpus(Path dir) {
    this.dir = dir;
  }

  /** Writes every entry under {@code dir} and lists them. */
  static List<Entry> generate(Path dir) {
    BadInputCorpus c = new BadInputCorpus(dir);
    try {
      c.emptyAndTruncated();
      c.wrongContent();
      c.onnx();
      c.archives();
      c.tensorflow();
      c.labels();
      c.inputs();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(c.entries);
  }

  private Path partner = Fixtures.path(GOOD_ONNX);

  private void add(String id, Use use, Path file, String... expect) {
    entries.add(new Entry(id, use, file, List.of(expect), partner));
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
    return p;
  }

  private static byte[] fixture(String rel) throws IOException {
    return Files.readAllBytes(Fixtures.path(rel));
  }

  private static byte[] half(byte[] b) {
    return Arrays.copyOf(b, b.length / 2);
  }

  // ---------------------------------------------------------------- empty, truncated, junk

  private void emptyAndTruncated() throws IOException {
    for (String ext : new String[] {"onnx", "pt", "pth", "pb"}) {
      add("zero-byte ." + ext, Use.MODEL, write("empty." + ext, new byte[0]), "empty");
    }
    add("truncated onnx", Use.MODEL, write("cut.onnx", half(fixture(GOOD_ONNX))), "truncated");
    add(
        "truncated torchscript",
        Use.MODEL,
        write("cut_script.pt", half(fixture(TORCHSCRIPT))),
        "truncated");
    add("truncated pth", Use.MODEL, write("cut.pth", half(fixture(CHECKPOINT))), "truncated");
    add("truncated frozen pb", Use.MODEL, write("cut.pb", half(fixture(FROZEN))), "truncated");
    Path sm = copyTree(Fixtures.path(GOOD_TF), dir.resolve("cut.savedmodel"));
    Path pb = sm.resolve("saved_model.pb");
    Files.write(pb, half(Files.readAllBytes(pb)));
    add("truncated savedmodel pb", Use.MODEL, sm, "saved_model.pb", "truncated");
    Path emptySm = Files.createDirectories(dir.resolve("empty.savedmodel"));
    Files.write(emptySm.resolve("saved_model.pb"), new byte[0]);
    add("savedmodel with zero-byte saved_model.pb", Use.MODEL, emptySm, "saved_model.pb");
  }

  private void wrongContent() throws IOException {
    Random rnd = new Random(8);
    for (String ext : new String[] {"onnx", "pt", "pb", "bin"}) {
      byte[] noise = new byte[4096];
      rnd.nextBytes(noise);
      add("random bytes ." + ext, Use.MODEL, write("noise." + ext, noise), "not");
    }
    add(
        "label list named .onnx",
        Use.MODEL,
        write("classes.onnx", fixture("models/labels/classes.txt")),
        "not");
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H'};
    add("png named .pt", Use.MODEL, write("picture.pt", png), "not");
    add(
        ".npy named .pth",
        Use.MODEL,
        write("array.pth", fixture("models/cnn/ref/input_ones_nchw.npy")),
        "not");
    Path notModel = Files.createDirectories(dir.resolve("photos"));
    Files.writeString(notModel.resolve("readme.txt"), "not a model");
    add("folder that is no SavedModel", Use.MODEL, notModel, "not");
  }

  // ---------------------------------------------------------------- ONNX

  private static TypeProto floatType(long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))
        .build();
  }

  /** {@code y = Relu(x + w)} on float[1,4], w an initializer, opset 17. */
  static ModelProto smallOnnx(UnaryOperator<GraphProto.Builder> edit, long opset) {
    TensorProto w =
        TensorProto.newBuilder()
            .setName("w")
            .setDataType(1)
            .addDims(1)
            .addDims(4)
            .addAllFloatData(List.of(1f, 2f, 3f, 4f))
            .build();
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName("small")
            .addNode(
                NodeProto.newBuilder()
                    .setName("add")
                    .setOpType("Add")
                    .addInput("x")
                    .addInput("w")
                    .addOutput("s"))
            .addNode(
                NodeProto.newBuilder()
                    .setName("relu")
                    .setOpType("Relu")
                    .addInput("s")
                    .addOutput("y"))
            .addInitializer(w)
            .addInput(ValueInfoProto.newBuilder().setName("x").setType(floatType(1, 4)))
            .addOutput(ValueInfoProto.newBuilder().setName("y").setType(floatType(1, 4)));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("portcheck-corpus")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset))
        .setGraph(edit.apply(g).build())
        .build();
  }

  private void onnx() throws IOException {
    Path good = write("small_ok.onnx", smallOnnx(g -> g, 17).toByteArray());
    partner = good;
    add(
        "onnx node output produced twice",
        Use.MODEL,
        write(
            "dup_output.onnx",
            smallOnnx(
                    g ->
                        g.addNode(
                            NodeProto.newBuilder()
                                .setName("again")
                                .setOpType("Relu")
                                .addInput("x")
                                .addOutput("s")),
                    17)
                .toByteArray()),
        "'s'",
        "twice");
    add(
        "onnx missing initializer",
        Use.MODEL,
        write(
            "missing_init.onnx", smallOnnx(GraphProto.Builder::clearInitializer, 17).toByteArray()),
        "'w'",
        "add");
    add(
        "onnx unknown op",
        Use.MODEL,
        write(
            "unknown_op.onnx",
            smallOnnx(g -> g.setNode(1, g.getNode(1).toBuilder().setOpType("Frobnicate")), 17)
                .toByteArray()),
        "Frobnicate");
    add(
        "onnx opset newer than the runtime",
        Use.MODEL,
        write("opset99.onnx", smallOnnx(g -> g, 99).toByteArray()),
        "opset",
        "99");
    Path sub = Files.createDirectories(dir.resolve("onnx_escape"));
    Files.write(dir.resolve("secret.bin"), new byte[16]);
    add(
        "onnx external data ../",
        Use.MODEL,
        write("onnx_escape/dotdot.onnx", externalOnnx("../secret.bin").toByteArray()),
        "../secret.bin",
        "unsafe");
    add(
        "onnx external data absolute path",
        Use.MODEL,
        write(
            "absolute.onnx",
            externalOnnx(dir.resolve("secret.bin").toAbsolutePath().toString()).toByteArray()),
        "absolute",
        "unsafe");
    assert Files.isDirectory(sub);
    add(
        "onnx input of 10^12 elements",
        Use.MODEL,
        write(
            "huge_input.onnx",
            smallOnnx(
                    g ->
                        g.setInput(
                                0,
                                ValueInfoProto.newBuilder()
                                    .setName("x")
                                    .setType(floatType(1_000_000, 1_000_000)))
                            .setOutput(
                                0,
                                ValueInfoProto.newBuilder()
                                    .setName("y")
                                    .setType(floatType(1_000_000, 1_000_000))),
                    17)
                .toByteArray()),
        "too large");
    partner = Fixtures.path(GOOD_ONNX);
  }

  /** y = x + w with w stored externally at {@code location}. */
  private static ModelProto externalOnnx(String location) {
    return smallOnnx(
        g ->
            g.setInitializer(
                0,
                TensorProto.newBuilder()
                    .setName("w")
                    .setDataType(1)
                    .addDims(1)
                    .addDims(4)
                    .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                    .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("length").setValue("16"))),
        17);
  }

  // ---------------------------------------------------------------- zips and pickles

  static byte[] zip(List<String> names, List<byte[]> contents) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (int i = 0; i < names.size(); i++) {
        z.putNextEntry(new ZipEntry(names.get(i)));
        z.write(contents.get(i));
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }

  /** A fixture archive with one entry added (or replaced, if the name exists). */
  private static byte[] withEntry(String rel, String name, byte[] content) throws IOException {
    List<String> names = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    // torch writes stored entries with data descriptors, which ZipInputStream cannot read.
    try (ZipFile in = new ZipFile(Fixtures.path(rel).toFile())) {
      for (ZipEntry e : Collections.list(in.entries())) {
        if (!e.getName().equals(name)) {
          names.add(e.getName());
          try (InputStream is = in.getInputStream(e)) {
            contents.add(is.readAllBytes());
          }
        }
      }
    }
    names.add(name);
    contents.add(content);
    return zip(names, contents);
  }

  /** The name of the fixture archive's data.pkl entry ({@code <root>/data.pkl}). */
  private static String dataPkl(String rel) throws IOException {
    try (ZipFile in = new ZipFile(Fixtures.path(rel).toFile())) {
      for (ZipEntry e : Collections.list(in.entries())) {
        if (e.getName().endsWith("/data.pkl")
            && e.getName().indexOf('/') == e.getName().lastIndexOf('/')) {
          return e.getName();
        }
      }
    }
    throw new IllegalStateException(rel + " has no data.pkl");
  }

  /** GLOBAL module name, a one-string tuple, REDUCE, STOP: the shape of every pickle exploit. */
  static byte[] exploitPickle(String module, String name) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80);
    b.write(2);
    b.write('c');
    b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    byte[] arg = "touch /tmp/portcheck-pwned".getBytes(StandardCharsets.US_ASCII);
    b.write('X');
    b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(arg.length).array());
    b.writeBytes(arg);
    b.write(0x85);
    b.write('R');
    b.write('.');
    return b.toByteArray();
  }

  private static int lastCentralRecord(byte[] z) {
    for (int i = z.length - 22; i >= 0; i--) {
      if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 1 && z[i + 3] == 2) {
        return i;
      }
    }
    throw new IllegalStateException("no central record");
  }

  private void archives() throws IOException {
    String scriptPkl = dataPkl(TORCHSCRIPT);
    String ckptPkl = dataPkl(CHECKPOINT);
    add(
        "torchscript with ../ entry",
        Use.MODEL,
        write("slip.pt", withEntry(TORCHSCRIPT, "../../evil.py", new byte[] {1})),
        "../../evil.py",
        "unsafe");
    add(
        "pth with ../ entry",
        Use.MODEL,
        write("slip.pth", withEntry(CHECKPOINT, "archive/../../x", new byte[] {1})),
        "'..'",
        "unsafe");
    byte[] link =
        withEntry(CHECKPOINT, "archive/link", "/etc/passwd".getBytes(StandardCharsets.US_ASCII));
    int cen = lastCentralRecord(link);
    ByteBuffer lb = ByteBuffer.wrap(link).order(ByteOrder.LITTLE_ENDIAN);
    lb.putShort(cen + 4, (short) 0x031e);
    lb.putInt(cen + 38, 0120777 << 16);
    add("pth with symlink entry", Use.MODEL, write("link.pth", link), "symbolic link", "unsafe");
    byte[] bomb = withEntry(TORCHSCRIPT, "archive/extra", new byte[16]);
    cen = lastCentralRecord(bomb);
    ByteBuffer.wrap(bomb).order(ByteOrder.LITTLE_ENDIAN).putInt(cen + 24, 0xfffffff0);
    add(
        "torchscript with huge declared entry",
        Use.MODEL,
        write("bomb.pt", bomb),
        "declares",
        "unsafe");
    String[][] globals = {
      {"os", "system"},
      {"builtins", "eval"},
      {"subprocess", "Popen"},
      {"numpy.core.multiarray", "_reconstruct"},
      {"torch", "load"}
    };
    for (String[] g : globals) {
      String q = g[0] + "." + g[1];
      add(
          "pth pickle calling " + q,
          Use.MODEL,
          write("global_" + q + ".pth", withEntry(CHECKPOINT, ckptPkl, exploitPickle(g[0], g[1]))),
          "'" + q + "'",
          "unsafe");
    }
    add(
        "torchscript data.pkl calling os.system",
        Use.MODEL,
        write(
            "script_os_system.pt",
            withEntry(TORCHSCRIPT, scriptPkl, exploitPickle("os", "system"))),
        "'os.system'",
        "unsafe");
    // Legacy (pre-1.6) torch.save: the magic-number pickle, then a pickle calling os.system.
    ByteArrayOutputStream legacy = new ByteArrayOutputStream();
    legacy.writeBytes(
        new byte[] {
          (byte) 0x80,
          2,
          (byte) 0x8a,
          0x0a,
          0x6c,
          (byte) 0xfc,
          (byte) 0x9c,
          0x46,
          (byte) 0xf9,
          0x20,
          0x6a,
          (byte) 0xa8,
          0x50,
          0x19,
          '.'
        });
    legacy.writeBytes(new byte[] {(byte) 0x80, 2, (byte) 0x8a, 2, (byte) 0xe9, 3, '.'});
    legacy.writeBytes(exploitPickle("posix", "system"));
    add(
        "legacy pth calling posix.system",
        Use.MODEL,
        write("legacy.pth", legacy.toByteArray()),
        "'posix.system'",
        "unsafe");
  }

  // ---------------------------------------------------------------- TensorFlow

  private static Path copyTree(Path src, Path dst) throws IOException {
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : s.toList()) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return dst;
  }

  private void tensorflow() throws IOException {
    Path noVars = copyTree(Fixtures.path(GOOD_TF), dir.resolve("novars.savedmodel"));
    try (Stream<Path> s = Files.walk(noVars.resolve("variables"))) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
    add("savedmodel without variables", Use.MODEL, noVars, "variables");
    Path cutVars = copyTree(Fixtures.path(GOOD_TF), dir.resolve("cutvars.savedmodel"));
    try (Stream<Path> s = Files.list(cutVars.resolve("variables"))) {
      for (Path p : s.filter(f -> f.getFileName().toString().contains("data")).toList()) {
        Files.write(p, half(Files.readAllBytes(p)));
      }
    }
    add("savedmodel with truncated variables data", Use.MODEL, cutVars, "variables");
  }

  // ---------------------------------------------------------------- label files

  // A label file with the wrong count is not here: it is read fine and judged (exit 1, see
  // LabelChecksTest); only files that cannot be read are bad input.
  private void labels() throws IOException {
    add("empty label file", Use.LABELS, write("empty.txt", new byte[0]), "empty");
    byte[] latin1 = "tench\ngoldfish\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    add("label file in latin-1", Use.LABELS, write("latin1.txt", latin1), "UTF-8");
  }

  // ---------------------------------------------------------------- --input .npy

  static byte[] npy(String descr, String shape, byte[] data) {
    String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int total = 10 + header.length() + 1;
    header = header + " ".repeat((64 - total % 64) % 64) + "\n";
    ByteBuffer b =
        ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    b.put(data);
    return b.array();
  }

  private void inputs() throws IOException {
    add(
        "npy of the wrong shape",
        Use.INPUT,
        write("small.npy", npy("<f4", "(1, 3, 16, 16)", new byte[3 * 16 * 16 * 4])),
        "shape");
    add(
        "npy of complex dtype",
        Use.INPUT,
        write("complex.npy", npy("<c8", "(1, 3, 32, 32)", new byte[3 * 32 * 32 * 8])),
        "c8");
    add(
        "npy of python objects",
        Use.INPUT,
        write("objects.npy", npy("|O", "(1,)", new byte[] {(byte) 0x80, 2, 'N', '.'})),
        "|O");
    add(
        "npy of strings",
        Use.INPUT,
        write("strings.npy", npy("<U5", "(1, 3, 32, 32)", new byte[3 * 32 * 32 * 20])),
        "U5");
    add(
        "npy truncated",
        Use.INPUT,
        write("cut.npy", half(fixture("models/cnn/ref/input_ones_nchw.npy"))),
        "truncated");
    add(
        "npy that is no npy",
        Use.INPUT,
        write("text.npy", "hello".getBytes(StandardCharsets.US_ASCII)),
        "npy");
    add(
        "npy with an overflowing shape",
        Use.INPUT,
        write("overflow.npy", npy("<f4", "(3, 9223372036854775807)", new byte[0])),
        "too large");
  }
}
