package dev.portcheck.importers.onnx;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Points ONNX Runtime at natives unpacked once into portcheck's engine cache. Left alone, ORT
 * unpacks its libraries into a fresh {@code java.io.tmpdir/onnxruntime-java*} folder on every start
 * and leaves that folder behind (empty) at every exit, Ctrl-C or not: one more per run in /tmp.
 *
 * <p>The cache is the folder next to JavaCPP's ({@code org.bytedeco.javacpp.cachedir}, which the
 * launcher and the build set to {@code target/native-cache/javacpp}); without it, or when {@code
 * onnxruntime.native.path} is already set, ORT keeps its own behaviour.
 */
final class OrtNatives {
  private static final String NATIVE_PATH = "onnxruntime.native.path";
  private static boolean done;

  private OrtNatives() {}

  static synchronized void prepare() {
    if (done) {
      return;
    }
    done = true;
    String javacpp = System.getProperty("org.bytedeco.javacpp.cachedir");
    String arch = arch();
    if (System.getProperty(NATIVE_PATH) != null || javacpp == null || arch == null) {
      return;
    }
    try {
      Path dir = Path.of(javacpp).toAbsolutePath().resolveSibling(ortJarName());
      String base = "/ai/onnxruntime/native/" + arch + "/";
      for (String lib : new String[] {"libonnxruntime.so", "libonnxruntime4j_jni.so"}) {
        if (!unpack(base + lib, dir.resolve(lib))) {
          return; // not packaged for this platform: ORT unpacks what it has
        }
      }
      System.setProperty(NATIVE_PATH, dir.toString());
    } catch (IOException | RuntimeException e) {
      // Fall back to ORT's own unpacking; only a leftover empty folder is at stake.
    }
  }

  private static String arch() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      return null;
    }
    return switch (arch) {
      case "amd64", "x86_64" -> "linux-x64";
      case "aarch64", "arm64" -> "linux-aarch64";
      default -> null;
    };
  }

  /** The ORT jar's name without {@code .jar} (it carries the version), e.g. onnxruntime-1.29.0. */
  private static String ortJarName() {
    String loc =
        String.valueOf(OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation());
    String name = loc.substring(loc.lastIndexOf('/') + 1);
    return name.endsWith(".jar") ? name.substring(0, name.length() - 4) : "onnxruntime";
  }

  /** Copies a resource to {@code target} unless a file of the same size is there already. */
  private static boolean unpack(String resource, Path target) throws IOException {
    try (InputStream in = OrtEnvironment.class.getResourceAsStream(resource)) {
      if (in == null) {
        return false;
      }
      byte[] bytes = in.readAllBytes();
      if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
        return true;
      }
      Files.createDirectories(target.getParent());
      // Written aside and moved into place, so that a parallel run never loads half a library.
      Path part =
          Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
      try {
        Files.write(part, bytes);
        Files.move(
            part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(part);
      }
      return true;
    }
  }
}
