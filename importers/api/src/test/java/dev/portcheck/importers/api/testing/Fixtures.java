package dev.portcheck.importers.api.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcheck.importers.api.Npy;
import dev.portcheck.importers.api.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Test access to the generated fixtures ({@code fixtures/manifest.json}) and to the real
 * third-party models in {@code fixtures/thirdparty}. Tests read expectations from the manifest
 * instead of repeating them.
 */
public final class Fixtures {
  /**
   * The agreement every generated file has with its reference outputs (manifest {@code
   * generator.tolerance}); the fixtures README asks for at least this much.
   */
  public static final double ABSOLUTE_TOLERANCE = 1e-4;

  private static JsonNode manifest;

  private Fixtures() {}

  /** The repository root: the nearest folder upwards that holds {@code fixtures/manifest.json}. */
  public static Path repoRoot() {
    String prop = System.getProperty("portcheck.fixtures");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Paths.get(prop).toAbsolutePath().normalize().getParent();
    }
    Path p = Paths.get("").toAbsolutePath();
    while (p != null) {
      if (Files.isRegularFile(p.resolve("fixtures/manifest.json"))) {
        return p;
      }
      p = p.getParent();
    }
    throw new IllegalStateException(
        "fixtures/manifest.json not found above " + Paths.get("").toAbsolutePath());
  }

  /** The {@code fixtures} folder. */
  public static Path root() {
    return repoRoot().resolve("fixtures");
  }

  /** A path relative to {@code fixtures/}. */
  public static Path path(String relative) {
    return root().resolve(relative);
  }

  /**
   * The real third-party models, committed with their licences and checksums in {@code
   * fixtures/thirdparty} (nothing outside the repository is read).
   */
  public static Path realModels() {
    return root().resolve("thirdparty");
  }

  /**
   * A real third-party model by file name; a name that is not there fails the test at once instead
   * of letting an importer report a missing file as a finding.
   */
  public static Path realModel(String name) {
    Path p = realModels().resolve(name);
    if (!Files.exists(p)) {
      throw new IllegalStateException(
          p + " is missing: the third-party models are part of the repository (see its README).");
    }
    return p;
  }

  /** The parsed manifest. */
  public static synchronized JsonNode manifest() {
    if (manifest == null) {
      try {
        manifest = new ObjectMapper().readTree(root().resolve("manifest.json").toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return manifest;
  }

  /** Manifest {@code files} entries that match. */
  public static List<JsonNode> files(Predicate<JsonNode> filter) {
    List<JsonNode> out = new ArrayList<>();
    manifest()
        .path("files")
        .forEach(
            f -> {
              if (filter.test(f)) {
                out.add(f);
              }
            });
    return out;
  }

  /**
   * Entries of the manifest's {@code transformers.files}: the Hugging Face set (BERT-like and
   * GPT-2-like models, token-id inputs), listed apart from {@code files} because their inputs are
   * integer token ids and several per model.
   */
  public static List<JsonNode> transformerFiles(Predicate<JsonNode> filter) {
    List<JsonNode> out = new ArrayList<>();
    manifest()
        .path("transformers")
        .path("files")
        .forEach(
            f -> {
              if (filter.test(f)) {
                out.add(f);
              }
            });
    return out;
  }

  /** The {@code transformers.files} entry for a path relative to {@code fixtures/}. */
  public static JsonNode transformerFile(String relative) {
    return transformerFiles(f -> relative.equals(f.path("path").asText())).stream()
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("not in manifest: " + relative));
  }

  /**
   * The inputs of a {@code transformers.files} entry for one probe ({@code ones}, {@code random}),
   * by input name, as stored token ids and masks.
   */
  public static java.util.Map<String, Tensor> transformerInputs(JsonNode entry, String probe) {
    java.util.Map<String, Tensor> in = new java.util.LinkedHashMap<>();
    for (var f : entry.path("referenceInputs").path(probe).properties()) {
      in.put(f.getKey(), npy(f.getValue().asText()));
    }
    return in;
  }

  /** Every model file the manifest lists: {@code files} and {@code transformers.files}. */
  public static List<JsonNode> allFiles() {
    List<JsonNode> out = files(f -> true);
    out.addAll(transformerFiles(f -> true));
    return out;
  }

  /** Manifest {@code files} entries of one framework and variant. */
  public static List<JsonNode> files(String framework, String variant) {
    return files(
        f ->
            framework.equals(f.path("framework").asText())
                && variant.equals(f.path("variant").asText()));
  }

  /** The manifest entry for a path relative to {@code fixtures/}. */
  public static JsonNode file(String relative) {
    return files(f -> relative.equals(f.path("path").asText())).stream()
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("not in manifest: " + relative));
  }

  /**
   * The largest {@code max |actual - reference|} a run of a file of {@code family} may show against
   * its reference output: the rule the generator itself checked. float32 keeps about 7 significant
   * digits, so the rounding difference between two runs of the same model (another thread count,
   * kernel or summation order) grows with the magnitude of the values: bigmag's logits are ~2e4,
   * where a difference of 1e-2 is rounding (5e-7 relative), not a finding. A family listed in the
   * manifest's {@code ports.generator.relativeTolerance} therefore gets that fraction of the
   * reference's largest magnitude when that is larger than {@link #ABSOLUTE_TOLERANCE}; every other
   * family keeps the absolute bound alone, exactly as before.
   */
  public static double outputTolerance(String family, Tensor reference) {
    double relative =
        manifest()
            .path("ports")
            .path("generator")
            .path("relativeTolerance")
            .path(family)
            .asDouble(0);
    double peak = 0;
    for (int i = 0; i < reference.size(); i++) {
      peak = Math.max(peak, Math.abs(reference.getFloat(i)));
    }
    return Math.max(ABSOLUTE_TOLERANCE, relative * peak);
  }

  /** Reads a {@code .npy} relative to {@code fixtures/}. */
  public static Tensor npy(String relative) {
    return Npy.read(path(relative));
  }
}
