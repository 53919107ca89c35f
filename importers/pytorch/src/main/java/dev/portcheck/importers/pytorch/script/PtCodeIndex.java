package dev.portcheck.importers.pytorch.script;

import dev.portcheck.importers.pytorch.archive.PtArchive;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every class defined under a TorchScript archive's {@code code/} folder, by qualified name. */
public final class PtCodeIndex {
  private final Map<String, PtClassCode> classes;
  private final Map<String, String> fileOfClass;
  private final Map<String, String> files;

  private PtCodeIndex(
      Map<String, PtClassCode> classes,
      Map<String, String> fileOfClass,
      Map<String, String> files) {
    this.classes = classes;
    this.fileOfClass = fileOfClass;
    this.files = files;
  }

  /** Reads and indexes {@code <root>/code/**.py}. */
  public static PtCodeIndex read(PtArchive archive) {
    Map<String, PtClassCode> classes = new LinkedHashMap<>();
    Map<String, String> fileOfClass = new LinkedHashMap<>();
    Map<String, String> files = new LinkedHashMap<>();
    String prefix = archive.root() + "code/";
    for (String name : archive.names()) {
      if (!name.startsWith(prefix) || !name.endsWith(".py")) {
        continue;
      }
      String text = new String(archive.readEntry(name), StandardCharsets.UTF_8);
      files.put(name, text);
      String module =
          name.substring(prefix.length(), name.length() - ".py".length()).replace('/', '.');
      for (PtClassCode c : PtClassCode.parseFile(module, text)) {
        classes.put(c.qualifiedName(), c);
        fileOfClass.put(c.qualifiedName(), name);
      }
    }
    return new PtCodeIndex(
        Collections.unmodifiableMap(classes),
        Collections.unmodifiableMap(fileOfClass),
        Collections.unmodifiableMap(files));
  }

  /** A class by qualified name ({@code __torch__.torch.nn.modules.conv.Conv2d}), or null. */
  public PtClassCode get(String qualified) {
    return classes.get(qualified);
  }

  public Map<String, PtClassCode> classes() {
    return classes;
  }

  /** Archive entry name of the file defining a class. */
  public String fileOf(String qualified) {
    return fileOfClass.get(qualified);
  }

  /** Code files: archive entry name to text. */
  public Map<String, String> files() {
    return files;
  }
}
