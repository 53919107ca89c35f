package dev.portcheck.importers.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/** Finds the importer for a model file among those on the class path. */
public final class Importers {
  private Importers() {}

  /** Every importer on the class path, in service-file order. */
  public static List<ModelImporter> available() {
    List<ModelImporter> all = new ArrayList<>();
    ServiceLoader.load(ModelImporter.class, Importers.class.getClassLoader()).forEach(all::add);
    return all;
  }

  /**
   * The engine of each importer on the class path and its version ({@code onnxruntime} to {@code
   * 1.22.0}), in {@link Framework} order (a baseline's record stays stable whatever the service
   * files' order).
   */
  public static Map<String, String> engineVersions() {
    Map<String, String> out = new LinkedHashMap<>();
    available().stream()
        .sorted(java.util.Comparator.comparing(ModelImporter::framework))
        .forEach(i -> out.put(i.engine(), i.engineVersion()));
    return out;
  }

  /** The importer on the class path that reads {@code framework}, if there is one. */
  public static Optional<ModelImporter> forFramework(Framework framework) {
    return available().stream().filter(i -> i.framework() == framework).findFirst();
  }

  /**
   * The version a jar's manifest gives the package of {@code engineClass} (implementation, else
   * specification version), or {@code "unknown"}: for importers' {@link
   * ModelImporter#engineVersion()}, without initialising the class or loading natives.
   */
  public static String jarVersion(Class<?> engineClass) {
    Package p = engineClass.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    if (v == null && p != null) {
      v = p.getSpecificationVersion();
    }
    return v == null ? "unknown" : v;
  }

  /** The importer that recognises {@code path} by its content. */
  public static ModelImporter forPath(Path path) {
    if (!Files.exists(path)) {
      throw PortcheckException.notFound(path);
    }
    if (!Files.isDirectory(path) && !Files.isReadable(path)) {
      throw PortcheckException.unreadable(path, null);
    }
    List<ModelImporter> all = available();
    for (ModelImporter importer : all) {
      if (importer.canOpen(path)) {
        return importer;
      }
    }
    if (isEmptyFile(path)) {
      // Whatever it was meant to be, the answer is the same: nothing arrived.
      throw PortcheckException.truncated(path, "the file is empty (0 bytes)");
    }
    throw PortcheckException.unsupportedFormat(
        path, all.stream().map(ModelImporter::formats).toList());
  }

  private static boolean isEmptyFile(Path path) {
    try {
      return Files.isRegularFile(path) && Files.size(path) == 0;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Opens {@code path} with the importer that recognises it. */
  public static ModelView open(Path path) {
    return forPath(path).open(path);
  }
}
