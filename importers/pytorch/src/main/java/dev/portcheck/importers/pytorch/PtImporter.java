package dev.portcheck.importers.pytorch;

import dev.portcheck.importers.api.FileSniffer;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.LayoutConvention;
import dev.portcheck.importers.api.ModelImporter;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.pytorch.archive.PtArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Opens PyTorch files by content: a zip with {@code <root>/data.pkl} and {@code <root>/code/} is
 * TorchScript, a zip with only {@code data.pkl} is a {@code torch.save} checkpoint, and a file
 * starting with the legacy magic-number pickle is a pre-1.6 {@code torch.save} checkpoint.
 */
public final class PtImporter implements ModelImporter {
  @Override
  public Framework framework() {
    return Framework.PYTORCH;
  }

  @Override
  public String engine() {
    return "djl-pytorch";
  }

  @Override
  public String engineVersion() {
    return Importers.jarVersion(ai.djl.pytorch.engine.PtEngine.class);
  }

  /** Every PyTorch feature map is channels-first; TorchScript modules declare no layout. */
  @Override
  public LayoutConvention layoutConvention() {
    return LayoutConvention.CHANNELS_FIRST;
  }

  /** TorchScript declares float for every input and takes tensors of any type. */
  @Override
  public boolean declaresInputTypes() {
    return false;
  }

  /**
   * An embedding module ({@code torch.nn.Embedding}, or a class of that name) reads rows of its
   * weight by index; a module's op type is its class name.
   */
  @Override
  public Set<OpRole> roles(String opType) {
    return opType.toLowerCase(Locale.ROOT).endsWith("embedding") ? Set.of(OpRole.LOOKUP) : Set.of();
  }

  @Override
  public String formats() {
    return "PyTorch TorchScript archive or torch.save state_dict (.pt, .pth, .jit)";
  }

  @Override
  public boolean canOpen(Path path) {
    try {
      if (!Files.isRegularFile(path)) {
        return false;
      }
      if (FileSniffer.isZip(path)) {
        try {
          PtArchive.open(path).close();
          return true;
        } catch (PortcheckException e) {
          // Unsafe or damaged zips that carry a data.pkl are still ours: open() will say why.
          return e.reason() != PortcheckException.Reason.CORRUPT
              || !e.getMessage().contains("data.pkl");
        }
      }
      return PtCheckpointFile.looksLegacy(FileSniffer.head(path, 16));
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public ModelView open(Path path) {
    if (!Files.exists(path)) {
      throw PortcheckException.notFound(path);
    }
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw PortcheckException.unreadable(path, null);
    }
    if (FileSniffer.isZip(path)) {
      PtArchive archive = PtArchive.open(path);
      try {
        if (archive.hasFolder("code")) {
          return new PtScriptView(path, archive);
        }
        return new PtCheckpointView(path, PtCheckpointFile.readZip(archive), archive);
      } catch (RuntimeException e) {
        archive.close();
        throw e;
      }
    }
    byte[] head = FileSniffer.head(path, 16);
    if (PtCheckpointFile.looksLegacy(head)) {
      return new PtCheckpointView(path, PtCheckpointFile.readLegacy(path), null);
    }
    if (head.length >= 4 && head[0] == 'P' && head[1] == 'K') {
      throw PortcheckException.truncated(path, "zip header damaged");
    }
    throw PortcheckException.unsupportedFormat(path, List.of(formats()));
  }
}
